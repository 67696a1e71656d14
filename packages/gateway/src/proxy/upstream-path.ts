import type { RequestContext } from '../pipeline/request-context.js';
import type { UpstreamTarget } from '../routing/compiled-api.js';

/**
 * The forwarded path (spec api-definition.md §3): strip the listen path when asked, then join with the
 * target's path. `matchedLength` is how much of the request path the listen path (or its template) matched.
 */
export function upstreamPath(
  requestPath: string, matchedLength: number, strip: boolean, targetPath: string, disableStripSlash: boolean,
): string {
  let sub = strip ? requestPath.slice(matchedLength) : requestPath;
  if (sub.length === 0 || sub.charCodeAt(0) !== 47 /* / */) sub = `/${sub}`;
  if (disableStripSlash && sub === '/') return targetPath;
  const base = targetPath.endsWith('/') ? targetPath.slice(0, -1) : targetPath;
  const rest = sub.slice(1);
  if (rest.length === 0) return base.length === 0 ? '/' : base;
  return `${base}/${rest}`;
}

/** `<target query>&<request query>` as Tyk joins them. */
export function joinQuery(targetQuery: string, requestQuery: string): string {
  if (targetQuery.length === 0) return requestQuery;
  if (requestQuery.length === 0) return targetQuery;
  return `${targetQuery}&${requestQuery}`;
}

/** Path-cleans a URL path as Go's path.Clean does, keeping a trailing slash; null when already clean. */
export function cleanPathOrNull(path: string): string | null {
  if (!path.includes('//') && !path.includes('/.')) return null;
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  let cleaned = `/${out.join('/')}`;
  if (path.endsWith('/') && cleaned !== '/') cleaned += '/';
  return cleaned === path ? null : cleaned;
}

/** The path a request goes to `target` with: `upstreamPath` with the request's and its API's settings. */
export function pathOnTarget(ctx: RequestContext, target: UpstreamTarget): string {
  const api = ctx.api;
  return upstreamPath(ctx.forwardPath, ctx.stripLength, api.stripListenPath, target.path, api.disableStripSlash);
}

/** The request target sent to `target`: its path, then `<target query>&<request query>` when there is one. */
export function requestTargetOn(ctx: RequestContext, target: UpstreamTarget): string {
  const path = pathOnTarget(ctx, target);
  const query = joinQuery(target.query, ctx.query);
  return query.length === 0 ? path : `${path}?${query}`;
}
