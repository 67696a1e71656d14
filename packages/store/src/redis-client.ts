import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** The `storage` section of tollgate.json (tyk.conf key names). */
export interface StorageOptions {
  readonly host?: string;
  readonly port?: number;
  readonly addrs?: readonly string[];
  readonly master_name?: string;
  readonly sentinel_password?: string;
  readonly username?: string;
  readonly password?: string;
  readonly database?: number;
  readonly enable_cluster?: boolean;
  /** Seconds; bounds connect and each command so nothing waits on a dead Redis for long. */
  readonly timeout?: number;
  readonly use_ssl?: boolean;
  readonly ssl_insecure_skip_verify?: boolean;
}

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** Name shown by CLIENT LIST, e.g. "tollgate:gateway:sub". */
  readonly name: string;
  /** Subscriber connections must not time out commands while idle. */
  readonly isSubscriber?: boolean;
  /** Keep reconnecting forever (true) or fail fast (false, for CLI one-shots). */
  readonly retry?: boolean;
  /**
   * Commands fail at once while disconnected and are never resent after a reconnect (no offline queue,
   * no automatic resend): for callers that keep and retry their own data, so a command whose reply was
   * lost is not also replayed behind their back (the analytics emitter).
   */
  readonly failFast?: boolean;
  /** Overrides `storage.timeout` for commands (ms): the rate limiter's short deadline. */
  readonly commandTimeoutMs?: number;
  /** false: commands fail at once while disconnected instead of queueing (default true). */
  readonly offlineQueue?: boolean;
  /** Batch the commands of one event-loop turn into one write (ioredis auto-pipelining). */
  readonly autoPipelining?: boolean;
  /** A BullMQ connection: blocking commands, so no command timeout and no retry limit (BullMQ's rule). */
  readonly isQueue?: boolean;
}

/**
 * One ioredis client for single Redis, Sentinel (`master_name` + `addrs`) or Redis Cluster
 * (`enable_cluster` + `addrs`), as tyk.conf's `storage` section describes them.
 *
 * @example
 * const redis = createRedisClient({ host: '127.0.0.1', port: 6379 }, { name: 'tollgate:cp' });
 */
export function createRedisClient(storage: StorageOptions, options: RedisClientOptions): RedisClient {
  const timeoutMs = Math.max(100, Math.round((storage.timeout ?? 5) * 1000));
  const common: RedisOptions = {
    connectionName: options.name,
    username: storage.username || undefined,
    password: storage.password || undefined,
    db: storage.database ?? 0,
    connectTimeout: timeoutMs,
    commandTimeout: options.isSubscriber || options.isQueue ? undefined : (options.commandTimeoutMs ?? timeoutMs),
    // Commands issued while reconnecting wait in the queue, bounded by commandTimeout (unless failFast or
    // offlineQueue: false).
    enableOfflineQueue: !options.failFast && (options.offlineQueue ?? true),
    autoResendUnfulfilledCommands: !options.failFast,
    enableAutoPipelining: options.autoPipelining ?? false,
    maxRetriesPerRequest: options.isQueue ? null : options.retry === false || options.failFast || options.offlineQueue === false ? 0 : 1,
    retryStrategy: options.retry === false ? () => null : (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    tls: storage.use_ssl ? { rejectUnauthorized: !storage.ssl_insecure_skip_verify } : undefined,
    lazyConnect: false,
  };
  const addrs = (storage.addrs ?? []).map(parseAddr);
  if (storage.enable_cluster) {
    const nodes = addrs.length > 0 ? addrs : [{ host: storage.host ?? '127.0.0.1', port: storage.port ?? 6379 }];
    const clusterOptions: ClusterOptions = {
      redisOptions: { ...common, db: 0 },
      enableOfflineQueue: !options.failFast && (options.offlineQueue ?? true),
      enableAutoPipelining: options.autoPipelining ?? false,
    };
    return new Cluster(nodes, clusterOptions);
  }
  if (storage.master_name) {
    return new Redis({
      ...common,
      sentinels: addrs.length > 0 ? addrs : [{ host: storage.host ?? '127.0.0.1', port: storage.port ?? 26379 }],
      name: storage.master_name,
      sentinelPassword: storage.sentinel_password || undefined,
    });
  }
  return new Redis({ ...common, host: storage.host ?? '127.0.0.1', port: storage.port ?? 6379 });
}

function parseAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  if (i <= 0) return { host: addr, port: 6379 };
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(addr.slice(i + 1)) };
}

/** Resolves once the client is ready, or rejects after `timeoutMs` with the last connection error. */
export function waitForReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error): void => { lastError = err; };
    const onReady = (): void => { cleanup(); resolve(); };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not reachable after ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

/**
 * Subscribes once the connection is ready. Under load, a SUBSCRIBE that ioredis queued while the connection
 * was still running its ready check could resolve without the server ever holding the subscription
 * (seen as `sub=0, cmd=info` in CLIENT LIST, with every later message lost), so this waits for `ready`
 * first, as long as it takes (as the queued SUBSCRIBE did while Redis was away).
 */
export async function subscribeWhenReady(subscriber: RedisClient, channel: string): Promise<void> {
  if (subscriber.status !== 'ready') await new Promise<void>((resolve) => subscriber.once('ready', () => resolve()));
  await subscriber.subscribe(channel);
}
