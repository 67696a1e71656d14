import { createHash } from 'node:crypto';

/**
 * Every Redis key and channel tollgate uses, in one place.
 * Configuration keys share the hash tag `{tollgate:config}` so a Lua script can touch several of them on
 * Redis Cluster (they land in one slot); pub/sub channels are not keys and need no tag.
 * Keys (sessions) are not configuration objects: there may be millions, so they live in Tyk's own layout
 * (`apikey-<storage id>`, one string each) and change on their own channel, outside the snapshot.
 */
export type ConfigKind = 'api' | 'policy' | 'cert';

export const CONFIG_KINDS: readonly ConfigKind[] = Object.freeze(['api', 'policy', 'cert']);

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
});

/**
 * An API's own limit counters (`global_rate_limit`), tagged `{api:<api_id>}`: their own Redis Cluster slot
 * (rate-limits-and-quotas.md §10.2). A key's counters are `keyLayout.rateCounter` / `quotaCounter`.
 */
export const limitKeys = Object.freeze({
  apiRate: (apiId: string): string => `tg:arl:{api:${tagSafe(apiId)}}`,
});

/** Braces would end the hash tag early. */
function tagSafe(part: string): string {
  return part.includes('{') || part.includes('}') ? part.replace(/\{/g, '%7B').replace(/\}/g, '%7D') : part;
}
