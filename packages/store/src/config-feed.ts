import { decodeChangeMessage, type ChangeMessage } from './change-message.js';
import { keyLayout } from './key-layout.js';
import type { ConfigSnapshot, ConfigStore } from './config-store.js';
import type { RedisClient } from './redis-client.js';
import { subscribeWhenReady } from './redis-client.js';

export interface ConfigFeedHandlers {
  /** Replace all state with the snapshot (start, gap, reconnect). */
  onSnapshot(snapshot: ConfigSnapshot): void;
  /** Apply one change; `json` is null when the object is gone. */
  onChange(change: ChangeMessage, json: string | null): void;
}

export interface ConfigFeedLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface ConfigFeedOptions {
  readonly store: ConfigStore;
  /** A connection used only for SUBSCRIBE (Redis forbids other commands on it). */
  readonly subscriber: RedisClient;
  readonly handlers: ConfigFeedHandlers;
  readonly logger: ConfigFeedLogger;
  /** Identifies this reader in the applied-revision report; omit to not report. */
  readonly workerId?: string;
  /** How often the revision counter is compared with what was applied (catches a lost last message). */
  readonly pollIntervalMs?: number;
}

/**
 * Keeps a reader's copy of the configuration in step with Redis: a snapshot at start, then the change
 * messages in revision order, and a new snapshot whenever a revision was skipped, the subscriber
 * reconnected (pub/sub drops what is published while it is away), or the counter moved without a message.
 * All work runs on one queue, so changes are applied one at a time and in order. Never throws from a
 * background path: failures are logged and retried by the next poll.
 *
 * @example
 * const feed = new ConfigFeed({ store, subscriber, handlers, logger, workerId: 'node-1:123' });
 * await feed.start();
 */
export class ConfigFeed {
  private applied = 0;
  private queue: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private needsResync = false;

  constructor(private readonly options: ConfigFeedOptions) {}

  /** The revision whose state is live in this reader. */
  get revision(): number {
    return this.applied;
  }

  /** Subscribes, loads the first snapshot, and resolves once it is applied. */
  async start(): Promise<void> {
    const { subscriber } = this.options;
    subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      if (channel.toString() !== keyLayout.changeChannel) return;
      const change = decodeChangeMessage(payload);
      if (!change) {
        this.options.logger.warn({ bytes: payload.length }, 'ignored a malformed configuration change message');
        return;
      }
      this.enqueue(() => this.applyChange(change));
    });
    // After a reconnect ioredis subscribes again by itself; what was published meanwhile is lost. The
    // connection's first 'ready' is no reconnect, even when it comes after start() resolved.
    let hasBeenReady = subscriber.status === 'ready';
    subscriber.on('ready', () => {
      if (hasBeenReady && this.started) this.enqueue(() => this.resync('subscriber reconnected'));
      hasBeenReady = true;
    });
    await subscribeWhenReady(subscriber, keyLayout.changeChannel);
    await this.resync('start', true);
    this.started = true;
    const interval = this.options.pollIntervalMs ?? 1000;
    this.pollTimer = setInterval(() => this.enqueue(() => this.poll()), interval);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.reportTimer);
    await this.queue;
    if (this.options.workerId) await this.options.store.forgetWorker(this.options.workerId).catch(() => 0);
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(() => (this.stopped ? undefined : task())).catch((err: unknown) => {
      this.needsResync = true;
      this.options.logger.warn({ err: errorText(err) }, 'configuration feed step failed; will resync');
    });
  }

  private async applyChange(change: ChangeMessage): Promise<void> {
    if (change.revision <= this.applied) return;
    if (change.revision !== this.applied + 1 || this.needsResync) {
      await this.resync(`revision gap: have ${this.applied}, got ${change.revision}`);
      return;
    }
    const json = change.op === 'put' ? await this.options.store.get(change.kind, change.id) : null;
    this.options.handlers.onChange(change, json);
    this.applied = change.revision;
    this.scheduleReport();
  }

  private async poll(): Promise<void> {
    const current = await this.options.store.revision();
    if (current !== this.applied || this.needsResync) {
      await this.resync(`revision ${current} differs from applied ${this.applied}`);
    } else {
      await this.report();
    }
  }

  private async resync(reason: string, quiet = false): Promise<void> {
    const snapshot = await this.options.store.snapshot();
    this.options.handlers.onSnapshot(snapshot);
    if (!quiet) this.options.logger.info({ reason, from: this.applied, to: snapshot.revision }, 'configuration resynchronised');
    this.applied = snapshot.revision;
    this.needsResync = false;
    await this.report();
  }

  /** Coalesces reports during a burst of changes into one write. */
  private scheduleReport(): void {
    if (this.reportTimer || !this.options.workerId) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      this.report().catch(() => undefined);
    }, 50);
    this.reportTimer.unref();
  }

  private async report(): Promise<void> {
    if (this.options.workerId) await this.options.store.reportApplied(this.options.workerId, this.applied);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
