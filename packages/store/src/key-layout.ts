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
  /** Hash: upstream host (`host:port` of a check URL) → unix ms since it is down (uptime tests). */
  uptimeDown: '{tollgate:uptime}:down',
  /** Hash: upstream host → consecutive failed checks. */
  uptimeFailures: '{tollgate:uptime}:failures',
});
