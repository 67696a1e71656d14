import { createHash } from 'node:crypto';
import type { ApiDefinition } from '@tollgate/apidef';
import { ResponseCache, type CachedResponse } from '@tollgate/store';
import { reply, type Decision, type Reply } from '../pipeline/decision.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { compileEntry, matchesRequest, patternContext, type EndpointEntry } from '../rules/endpoint-list.js';
import { upstreamHeadersDropped } from '../proxy/response-headers.js';
import { perVersion } from '../rules/versions.js';
import { RedisResponseCapture, storePolicy } from './response-capture.js';

/** Only safe requests are cached (Tyk: GET, HEAD, OPTIONS). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The cache key: API, caller (session key, else client IP — Tyk's rule, so callers never see each other's
 * responses), method, version, path and query, and the `cache_by_headers` values.
 */
function cacheDigest(ctx: RequestContext, caller: string, byHeaders: readonly string[]): string {
  const hash = createHash('sha256').update(caller).update('\n').update(ctx.method).update('\n').update(ctx.versionName)
    .update('\n').update(ctx.path).update('?').update(ctx.query);
  for (const name of byHeaders) hash.update(`\n${name}-${ctx.header(name)}`);
  return hash.digest('hex');
}

/** Whether `flat` (`[name, value, ...]`, names in any case, e.g. `X-RateLimit-Limit`) names `lower`. */
function isNameIn(flat: readonly string[], lower: string): boolean {
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    if (name.length === lower.length && (name === lower || name.toLowerCase() === lower)) return true;
  }
  return false;
}

/**
 * A cached response as a Reply: the upstream's headers (minus those the gateway sets itself, e.g. CORS),
 * `x-tyk-cached-response: 1`, and 304 when `If-None-Match` holds the entry's ETag (as Tyk does).
 */
export function replyFromCache(hit: CachedResponse, ctx: RequestContext): Reply {
  ctx.isCachedResponse = true;
  const own = ctx.responseHeaders;
  const quota = ctx.quotaHeaders;
  const dropped = upstreamHeadersDropped();
  const headers: string[] = [];
  let etag = '';
  for (let i = 0; i < hit.headers.length; i += 2) {
    const lower = hit.headers[i]!.toLowerCase();
    if (lower === 'etag') etag = hit.headers[i + 1]!;
    if (own !== null && lower !== 'vary' && isNameIn(own, lower)) continue;
    if (quota !== null && isNameIn(quota, lower)) continue;
    if (dropped !== null && dropped.includes(lower)) continue;
    headers.push(hit.headers[i]!, hit.headers[i + 1]!);
  }
  headers.push('x-tyk-cached-response', '1');
  // A cached answer counts as one that reached the upstream: it carries the key's quota headers (§8).
  if (quota !== null) headers.push(...quota);
  const ifNoneMatch = ctx.header('if-none-match');
  if (etag !== '' && ifNoneMatch !== '' && ifNoneMatch.includes(etag)) return reply(304, '', headers, '');
  return reply(hit.status, hit.body, headers, hit.contentType);
}

/**
 * `cache_options` (pipeline step 18): safe requests — all of them with `cache_all_safe_requests`, else
 * those matching the version's `extended_paths.cache` patterns — are answered from Redis when a fresh
 * entry exists; otherwise the upstream response is captured by the exchange and stored for
 * `cache_timeout` seconds. One Redis GET per cacheable request; a Redis failure means "not cached".
 *
 * @example
 * const cache = createResponseCache(def, deps); // null unless cache_options.enable_cache
 */
export function createResponseCache(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const options = def.cache_options;
  if (options?.enable_cache !== true) return null;
  const store = deps.responseCache;
  if (store === null) {
    deps.logger.warn({ api_id: def.api_id }, 'cache_options.enable_cache is set but this process has no response cache');
    return null;
  }
  const isAllSafe = options.cache_all_safe_requests === true;
  const lists = perVersion<EndpointEntry<true>[]>(def, (info, name) => {
    if (info.use_extended_paths !== true) return null;
    const pc = patternContext(def, info, deps.config);
    const list = (info.extended_paths?.cache ?? []).map((p, i) => compileEntry(`version_data.versions.${name}.extended_paths.cache[${i}]`, p, '', false, pc, true as const));
    return list.length === 0 ? null : list;
  });
  if (!isAllSafe && lists === null) return null;
  const apiId = String(def.api_id);
  const policy = storePolicy(options);
  const byHeaders = (options.cache_by_headers ?? []).map((h) => h.toLowerCase());
  const { logger, clientIp } = deps;
  const isCacheable = (ctx: RequestContext): boolean => {
    if (!SAFE.has(ctx.method)) return false;
    if (isAllSafe) return true;
    const list = lists!(ctx);
    return list !== undefined && list.some((e) => matchesRequest(e.regex, ctx, e.isContextFree));
  };
  return (ctx): Decision | Promise<Decision> => {
    if (!isCacheable(ctx)) return undefined;
    const key = ResponseCache.key(apiId, cacheDigest(ctx, ctx.sessionKey !== '' ? ctx.sessionKey : clientIp(ctx), byHeaders));
    return store.get(key).then((hit) => {
      if (hit !== null) return replyFromCache(hit, ctx);
      ctx.cacheCapture = new RedisResponseCapture(store, key, policy, logger);
      return undefined;
    }, (err: unknown) => {
      logger.warn({ api_id: apiId, err: err instanceof Error ? err.message : String(err) }, 'response cache read failed; request not cached');
      return undefined;
    });
  };
}
