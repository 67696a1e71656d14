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

/**
 * Limit counters (rate-limits-and-quotas.md §10, suggested layout). A key's counters are tagged by its
 * identity, `{<scope>:<key hash>}` (or `{<key hash>}` for the session root), so its rate and quota
 * counters share one Redis Cluster slot; an API's own limit is tagged `{api:<api_id>}`. Key names hold a
 * SHA-256-based hash of the key, never the key itself (§10.11), whatever `hash_keys` says.
 */
export const limitKeys = Object.freeze({
  /** Sliding log / GCRA / fixed window of a key's rate limit. */
  keyRate: (scope: string, keyHash: string): string => `tg:rl:{${identity(scope, keyHash)}}`,
  /** A key's quota counter (requests used in the current period). */
  keyQuota: (scope: string, keyHash: string): string => `tg:q:{${identity(scope, keyHash)}}`,
  /** An API's `global_rate_limit` counter. */
  apiRate: (apiId: string): string => `tg:arl:{api:${tagSafe(apiId)}}`,
});

function identity(scope: string, keyHash: string): string {
  return scope === '' ? keyHash : `${tagSafe(scope)}:${keyHash}`;
}

/** Braces would end the hash tag early and split a key's counters across slots. */
function tagSafe(part: string): string {
  return part.includes('{') || part.includes('}') ? part.replace(/\{/g, '%7B').replace(/\}/g, '%7D') : part;
}
