import type { CachedResponse, ResponseCache } from '@tollgate/store';
import type { Logger } from 'pino';
import type { ResponseCapture } from '../pipeline/request-context.js';
import { classifyHeader, HeaderKind } from '../proxy/response-headers.js';

/** Larger bodies are proxied but not cached (bounded memory per request). */
export const MAX_CACHED_BODY = 4 * 1024 * 1024;
const DEFAULT_TTL_HEADER = 'x-tyk-cache-action-set-ttl';
const UPSTREAM_CACHE_HEADER = 'x-tyk-cache-action-set';

/** What decides whether and how long a response is kept (compiled from `cache_options`). */
export interface StorePolicy {
  /** `cache_timeout` in seconds (60 when unset). */
  readonly ttlSeconds: number;
  /** `cache_response_codes`; null = every status (Tyk). */
  readonly codes: ReadonlySet<number> | null;
  /** `enable_upstream_cache_control`: only responses marked `x-tyk-cache-action-set` are kept. */
  readonly isUpstreamControlled: boolean;
  /** `cache_control_ttl_header` (lower-case), read when upstream control is on. */
  readonly ttlHeader: string;
}

export function storePolicy(options: {
  cache_timeout?: number; cache_response_codes?: number[] | null; enable_upstream_cache_control?: boolean; cache_control_ttl_header?: string;
}): StorePolicy {
  const codes = options.cache_response_codes ?? [];
  return {
    ttlSeconds: options.cache_timeout && options.cache_timeout > 0 ? options.cache_timeout : 60,
    codes: codes.length > 0 ? new Set(codes) : null,
    isUpstreamControlled: options.enable_upstream_cache_control === true,
    ttlHeader: (options.cache_control_ttl_header || DEFAULT_TTL_HEADER).toLowerCase(),
  };
}

/**
 * Turns a complete upstream response into a cache entry and its TTL, or null when it must not be kept
 * (Tyk's RedisCacheMiddleware rules: status in `cache_response_codes` when set; with upstream control
 * the `x-tyk-cache-action-set` header is required and the TTL header, when an integer, wins).
 */
export function toCacheEntry(policy: StorePolicy, status: number, rawHeaders: readonly Buffer[], body: Buffer): { entry: CachedResponse; ttl: number } | null {
  if (policy.codes !== null && !policy.codes.has(status)) return null;
  let ttl = policy.ttlSeconds;
  let isMarked = false;
  let contentType = '';
  const headers: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (classifyHeader(rawHeaders[i]!) !== HeaderKind.Forward) continue;
    const name = rawHeaders[i]!.toString('latin1');
    const value = rawHeaders[i + 1]!.toString('utf8');
    const lower = name.toLowerCase();
    if (lower === 'content-type') { contentType = value; continue; }
    if (lower === UPSTREAM_CACHE_HEADER) isMarked = true;
    if (policy.isUpstreamControlled && lower === policy.ttlHeader && /^\d+$/.test(value.trim())) ttl = Number(value.trim());
    headers.push(name, value);
  }
  if (policy.isUpstreamControlled && !isMarked) return null;
  return { entry: { status, contentType, headers, body }, ttl };
}

/**
 * Collects one upstream response on a cache miss and stores it in Redis once it is complete. Writing
 * never delays the client (the response has already been relayed) and a Redis failure is only logged.
 */
export class RedisResponseCapture implements ResponseCapture {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly cache: ResponseCache,
    private readonly key: string,
    private readonly policy: StorePolicy,
    private readonly logger: Logger,
  ) {}

  push(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > MAX_CACHED_BODY) return false;
    // Copied: the chunk is a view of the upstream client's read buffer, reused after this call.
    this.chunks.push(Buffer.from(chunk));
    return true;
  }

  complete(status: number, rawHeaders: readonly Buffer[]): void {
    const stored = toCacheEntry(this.policy, status, rawHeaders, Buffer.concat(this.chunks, this.size));
    if (stored === null) return;
    this.cache.set(this.key, stored.entry, stored.ttl).catch((err: unknown) => {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'response cache write failed');
    });
  }
}
