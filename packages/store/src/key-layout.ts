/**
 * Every Redis key and channel tollgate uses, in one place.
 * Configuration keys share the hash tag `{tollgate:config}` so a Lua script can touch several of them on
 * Redis Cluster (they land in one slot); pub/sub channels are not keys and need no tag.
 */
export type ConfigKind = 'api' | 'key' | 'policy' | 'cert';

export const CONFIG_KINDS: readonly ConfigKind[] = Object.freeze(['api', 'key', 'policy', 'cert']);

const CONFIG_TAG = '{tollgate:config}';

export const keyLayout = Object.freeze({
  /** Hash: id → JSON of every object of one kind. */
  objects: (kind: ConfigKind): string => `${CONFIG_TAG}:${kind}s`,
  /** Counter bumped by every configuration change. */
  revision: `${CONFIG_TAG}:revision`,
  /** Hash: worker id → "<applied revision>:<unix ms of last report>". */
  workers: `${CONFIG_TAG}:workers`,
  /** The one channel that carries msgpack change messages. */
  changeChannel: 'tollgate:config:changes',
});

/** The analytics queue: a stream of msgpack record batches plus a record counter, in one slot. */
const QUEUE_TAG = '{tollgate:analytics:queue}';

/**
 * Analytics keys. The queue keys share one hash tag (the append and ack scripts touch both); aggregates
 * share one hash tag per hour bucket (`YYYYMMDDHH`, UTC), so the script that applies a batch's increments
 * to one hour runs in one slot on Redis Cluster.
 */
export const analyticsKeys = Object.freeze({
  /** Stream: one entry per batch, fields `id` (batch id), `n` (record count), `b` (msgpack batch). */
  stream: `${QUEUE_TAG}:stream`,
  /** Records currently in the stream (incremented on append, decremented on ack): the Redis-side bound. */
  queuedRecords: `${QUEUE_TAG}:records`,
  /** Consumer group of the analytics processes. */
  group: 'tollgate-analytics',
  /** Set of org ids that have aggregates in the hour. */
  orgs: (hour: string): string => `{tollgate:analytics:${hour}}:orgs`,
  /** Set of the values of one dimension (tag, api id, ...) seen in the hour for one org. */
  index: (hour: string, org: string, dimension: string): string => `{tollgate:analytics:${hour}}:${org}:${dimension}`,
  /** Hash of counters of one dimension value in the hour for one org. */
  counters: (hour: string, org: string, dimension: string, value: string): string =>
    `{tollgate:analytics:${hour}}:${org}:${dimension}:${value}`,
  /** Marker set when a batch's records for this hour have been applied (makes redelivery harmless). */
  applied: (hour: string, batchId: string): string => `{tollgate:analytics:${hour}}:applied:${batchId}`,
});

/** `YYYYMMDDHH` (UTC) of a unix-ms time: the aggregate bucket. */
export function hourBucket(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}`;
}
