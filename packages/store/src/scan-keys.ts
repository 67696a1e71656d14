import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis-client.js';

/** Escapes Redis glob characters so that `text` matches literally in a SCAN pattern. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The keys matching a glob `pattern`, batch by batch, with the node each batch came from (so a caller can
 * act on a key where it lives): SCAN on every master of a Redis Cluster, never KEYS. Stopping the loop
 * early stops the scan.
 *
 * @example
 * for await (const { node, keys } of scanKeys(redis, 'cert-raw-*')) for (const key of keys) await node.get(key);
 */
export async function* scanKeys(redis: RedisClient, pattern: string, count = 500): AsyncGenerator<{ readonly node: Redis; readonly keys: string[] }> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield { node, keys };
    } while (cursor !== '0');
  }
}
