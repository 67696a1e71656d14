import { createHash } from 'node:crypto';

/**
 * Every Redis key and channel tollgate uses, in one place.
 * Configuration keys share the hash tag `{tollgate:config}` so a Lua script can touch several of them on
 * Redis Cluster (they land in one slot); pub/sub channels are not keys and need no tag.
 * Keys (sessions) are not configuration objects: there may be millions, so they live in Tyk's own layout
 * (`apikey-<storage id>`, one string each) and change on their own channel, outside the snapshot.
 */
export type ConfigKind = 'api' | 'policy' | 'cert' | 'endpoint';

/**
 * `endpoint`: addresses of tollgate's own services that workers route to. The control plane registers its
 * admin API as `admin-api` (`{"url": "http://host:port"}`); gateways whose `control_api_port` is 0 serve
 * `/tyk/` on their own port by proxying to it (gateway-api.md §1).
 */
export const CONFIG_KINDS: readonly ConfigKind[] = Object.freeze(['api', 'policy', 'cert', 'endpoint']);

/** The id under which the control plane registers its admin API in the `endpoint` kind. */
export const ADMIN_API_ENDPOINT = 'admin-api';

/**
 * The identity of a key's counters: SHA-256 hex of its storage ID, so no raw key ever appears in a Redis key
 * name (rate-limits-and-quotas.md §10.11), whatever `hash_keys` says.
 */
export function counterIdentity(storageId: string): string {
  return createHash('sha256').update(storageId, 'utf8').digest('hex');
}

function counterTag(scope: string, storageId: string): string {
  const id = counterIdentity(storageId);
  return scope === '' ? `{${id}}` : `{${scope}:${id}}`;
}

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
  /** Hash: upstream host (`host:port` of a check URL) → unix ms since it is down (uptime tests). */
  uptimeDown: '{tollgate:uptime}:down',
  /** Hash: upstream host → consecutive failed checks. */
  uptimeFailures: '{tollgate:uptime}:failures',
  /** A session (Tyk's layout, so Tyk key data can be imported): JSON at `apikey-<key ID or its hash>`. */
  session: (storageId: string): string => `apikey-${storageId}`,
  sessionPrefix: 'apikey-',
  /** msgpack `{op, id}` published on every session write and delete (id = storage ID). */
  keyChangeChannel: 'tollgate:keys:changes',
  /**
   * A key's quota counter (requests used in the current period) for an `allowance_scope` ("" = the key's
   * own), hash-tagged by counter identity so a key's counters share a Redis Cluster slot
   * (rate-limits-and-quotas.md §10, suggested layout).
   */
  quotaCounter: (scope: string, storageId: string): string => `tg:q:${counterTag(scope, storageId)}`,
  /** A key's rate-limit counter for an `allowance_scope` (endpoint counters append `:<endpoint>`). */
  rateCounter: (scope: string, storageId: string): string => `tg:rl:${counterTag(scope, storageId)}`,
  /**
   * A key's counter for one endpoint limit (`access_rights[<api>].endpoints[]`): the rate counter plus
   * `:<endpointId(METHOD, path)>`, in the same slot as the key's other counters.
   */
  endpointRateCounter: (scope: string, storageId: string, endpoint: string): string => `${keyLayout.rateCounter(scope, storageId)}:${endpoint}`,
});

/**
 * The id of an endpoint limit in counter names: the first 16 hex digits of SHA-256 of `METHOD:path`
 * (Tyk uses murmur32 of the same text; tollgate's layout is its own, and 64 bits keep two entries of one API
 * or key from sharing a counter by accident). The method is upper-cased by the caller.
 *
 * @example
 * endpointId('GET', '/slow') // 16 hex digits
 */
export function endpointId(method: string, path: string): string {
  return createHash('sha256').update(`${method}:${path}`, 'utf8').digest('hex').slice(0, 16);
}

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

/**
 * An API's own limit counters (`global_rate_limit`), tagged `{api:<api_id>}`: their own Redis Cluster slot
 * (rate-limits-and-quotas.md §10.2). A key's counters are `keyLayout.rateCounter` / `quotaCounter`.
 */
export const limitKeys = Object.freeze({
  apiRate: (apiId: string): string => `tg:arl:{api:${tagSafe(apiId)}}`,
  /** The counter of one `extended_paths.rate_limit` entry (`endpoint` = `endpointId(METHOD, path)`), in the API's slot. */
  apiEndpointRate: (apiId: string, endpoint: string): string => `${limitKeys.apiRate(apiId)}:${endpoint}`,
});

/** Braces would end the hash tag early. */
function tagSafe(part: string): string {
  return part.includes('{') || part.includes('}') ? part.replace(/\{/g, '%7B').replace(/\}/g, '%7D') : part;
}
