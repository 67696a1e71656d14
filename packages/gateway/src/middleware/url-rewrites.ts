import type { ApiDefinition, UrlRewrite } from '@tollgate/apidef';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { compileKind, findEntry, patternContext, type EndpointEntry } from '../rules/endpoint-list.js';
import { perVersion } from '../rules/versions.js';

interface Rewrite {
  readonly match: RegExp;
  readonly to: string;
  /** Highest `$n` in `rewrite_to`, replaced from the highest down so `$1` does not eat `$10`. */
  readonly maxGroup: number;
}

/**
 * The rewritten path and query for one entry, or null when `match_pattern` does not match. The pattern
 * is tried against the path and query as forwarded (`/listen/path?q`, as Tyk reads `r.URL.String()`);
 * `$n` in `rewrite_to` are the pattern's groups. Without a `?` in `rewrite_to` the query is kept.
 */
export function rewrite(r: Rewrite, path: string, query: string): { path: string; query: string } | null {
  const m = r.match.exec(query === '' ? path : `${path}?${query}`);
  if (m === null) return null;
  let out = r.to;
  for (let n = r.maxGroup; n >= 1; n--) out = out.split(`$${n}`).join(m[n] ?? '');
  const q = out.indexOf('?');
  return q < 0 ? { path: out, query } : { path: out.slice(0, q), query: out.slice(q + 1) };
}

/** How much of a rewritten path is the API's listen path (0 when it no longer starts with it). */
function listenLength(ctx: RequestContext, path: string): number {
  const api = ctx.api;
  if (api.listenRegex === null) return path.startsWith(api.listenPrefix) ? api.listenPrefix.length : 0;
  const m = api.listenRegex.exec(path);
  return m === null ? 0 : m[0].length;
}

/**
 * Extended `url_rewrites` (api-definition.md §10, pipeline step 17): the first entry matching the
 * request's endpoint and method rewrites the forwarded path with `match_pattern` → `rewrite_to`. The
 * listen path is still stripped afterwards when the new path starts with it. Rewrites to another host
 * (`rewrite_to` a full URL, `tyk://` loops) and `triggers` are later features: such entries are skipped
 * with a load warning.
 *
 * @example
 * const rewrites = createUrlRewrites(def, deps); // null when no version has url_rewrites
 */
export function createUrlRewrites(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const lookup = perVersion<EndpointEntry<Rewrite>[]>(def, (info, name) => {
    if (info.use_extended_paths !== true) return null;
    const pc = patternContext(def, info, deps.config);
    const field = `version_data.versions.${name}.extended_paths.url_rewrites`;
    const list = compileKind<UrlRewrite, Rewrite>(field, info.extended_paths?.url_rewrites, pc, (e) => {
      const to = e.rewrite_to ?? '';
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(to) || (e.triggers?.length ?? 0) > 0) {
        deps.logger.warn({ api_id: def.api_id, path: e.path, rewrite_to: to }, `${field}: rewrites to another host and triggers are not supported yet; entry skipped`);
        return null;
      }
      const groups = [...to.matchAll(/\$(\d+)/g)].map((g) => Number(g[1]));
      return { match: new RegExp(e.match_pattern ?? ''), to, maxGroup: groups.length === 0 ? 0 : Math.max(...groups) };
    });
    return list.length === 0 ? null : list;
  });
  if (lookup === null) return null;
  return (ctx) => {
    const list = lookup(ctx);
    if (list === undefined) return undefined;
    const entry = findEntry(list, ctx, false);
    if (entry === undefined) return undefined;
    const result = rewrite(entry.value, ctx.forwardPath, ctx.query);
    if (result === null) return undefined;
    ctx.forwardPath = result.path.charCodeAt(0) === 47 ? result.path : `/${result.path}`;
    ctx.query = result.query;
    ctx.stripLength = listenLength(ctx, ctx.forwardPath);
    return undefined;
  };
}
