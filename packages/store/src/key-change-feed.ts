import { keyLayout } from './key-layout.js';
import { decodeJwksFlush, decodeKeyChange, type JwksFlush, type KeyChange } from './session-store.js';
import type { RedisClient } from './redis-client.js';
import { subscribeWhenReady } from './redis-client.js';

export interface KeyChangeFeedOptions {
  /** A SUBSCRIBE-only connection; it may be shared with the ConfigFeed (each filters its own channel). */
  readonly subscriber: RedisClient;
  /** A session was written or deleted somewhere in the cluster. */
  readonly onChange: (change: KeyChange) => void;
  /** `DELETE /tyk/cache/jwks[/{apiID}]` was called (apiId "" = every API). */
  readonly onJwksFlush?: (flush: JwksFlush) => void;
  /** Messages may have been lost (the subscriber reconnected): forget everything cached. */
  readonly onReset: (reason: string) => void;
  readonly logger?: { warn(obj: object, msg: string): void };
}

/**
 * Follows `tollgate:keys:changes`: session writes and deletes, and JWKS cache flushes. Pub/sub drops whatever is published while a subscriber is away, so
 * every reconnect after the first connection is reported through `onReset`. Never throws from its
 * listeners: a malformed message is logged (without its content) and ignored.
 *
 * @example
 * const feed = new KeyChangeFeed({ subscriber, onChange: (c) => cache.evict(c.id), onReset: () => cache.clear() });
 * await feed.start();
 */
export class KeyChangeFeed {
  private started = false;
  private readonly onMessage = (channel: Buffer, payload: Buffer): void => {
    if (channel.toString() !== keyLayout.keyChangeChannel) return;
    const change = decodeKeyChange(payload);
    if (change !== null) return this.options.onChange(change);
    const flush = decodeJwksFlush(payload);
    if (flush !== null) return this.options.onJwksFlush?.(flush);
    this.options.logger?.warn({ bytes: payload.length }, 'ignored a malformed key change message');
  };
  private hasBeenReady: boolean;
  private readonly onReady = (): void => {
    if (this.hasBeenReady && this.started) this.options.onReset('subscriber reconnected');
    this.hasBeenReady = true;
  };

  constructor(private readonly options: KeyChangeFeedOptions) {
    this.hasBeenReady = options.subscriber.status === 'ready';
  }

  /** Subscribes; resolves once the subscription is active. */
  async start(): Promise<void> {
    const { subscriber } = this.options;
    subscriber.on('messageBuffer', this.onMessage);
    subscriber.on('ready', this.onReady);
    await subscribeWhenReady(subscriber, keyLayout.keyChangeChannel);
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    const { subscriber } = this.options;
    subscriber.off('messageBuffer', this.onMessage);
    subscriber.off('ready', this.onReady);
    if (subscriber.status === 'ready') await subscriber.unsubscribe(keyLayout.keyChangeChannel).catch(() => 0);
  }
}
