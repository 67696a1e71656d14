import { Packr } from 'msgpackr';
import type { RedisClient } from './redis-client.js';
import { globEscape, scanKeys } from './scan-keys.js';

/** A response as the cache keeps it: status, content type, headers (flat, as received) and body. */
export interface CachedResponse {
  readonly status: number;
  readonly contentType: string;
  /** Flat `[name, value, ...]` without hop-by-hop headers, Content-Length, Content-Type and Date. */
  readonly headers: readonly string[];
  readonly body: Buffer;
}

const packr = new Packr({ useRecords: false });
/** Format tag, so a later layout change can tell old entries apart (they are then misses). */
const FORMAT = 1;

/**
 * The response cache of `cache_options` (api-definition.md §11) in Redis, shared by every worker and
 * node. Keys are `cache-<api_id>:<digest>` (Tyk's `cache-` prefix, so everything of one API can be
 * found by `cache-<api_id>:*`); values are msgpack `[1, status, contentType, headers, body]` with a TTL.
 *
 * @example
 * const cache = new ResponseCache(redis);
 * await cache.set(ResponseCache.key('api1', digest), { status: 200, contentType: 'text/plain', headers: [], body }, 60);
 */
export class ResponseCache {
  constructor(private readonly redis: RedisClient) {}

  static key(apiId: string, digest: string): string {
    return `cache-${apiId}:${digest}`;
  }

  /** The cached response, or null when absent, expired or unreadable. Rejects only when Redis fails. */
  async get(key: string): Promise<CachedResponse | null> {
    const raw = await this.redis.getBuffer(key);
    return raw === null ? null : decodeCachedResponse(raw);
  }

  /**
   * Deletes every cached response of an API (`DELETE /tyk/cache/{api_id}`), scanning each master of a
   * Redis Cluster; returns how many entries were removed.
   */
  async invalidate(apiId: string): Promise<number> {
    let removed = 0;
    for await (const { node, keys } of scanKeys(this.redis, `${globEscape(ResponseCache.key(apiId, ''))}*`)) {
      for (const key of keys) removed += await node.unlink(key);
    }
    return removed;
  }

  async set(key: string, response: CachedResponse, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    await this.redis.set(key, encodeCachedResponse(response), 'EX', Math.ceil(ttlSeconds));
  }
}

export function encodeCachedResponse(r: CachedResponse): Buffer {
  return packr.pack([FORMAT, r.status, r.contentType, r.headers, r.body]);
}

/** Never throws: anything that is not a well-formed entry is null. */
export function decodeCachedResponse(raw: Buffer): CachedResponse | null {
  let value: unknown;
  try {
    value = packr.unpack(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value[0] !== FORMAT || value.length !== 5) return null;
  const [, status, contentType, headers, body] = value as unknown[];
  if (typeof status !== 'number' || typeof contentType !== 'string' || !Array.isArray(headers) || !(body instanceof Uint8Array)) return null;
  if (!headers.every((h) => typeof h === 'string')) return null;
  return { status, contentType, headers: headers as string[], body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
}
