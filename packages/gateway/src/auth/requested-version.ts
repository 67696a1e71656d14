import type { ApiDefinition } from '@tollgate/apidef';
import { queryParam } from './credential.js';
import type { RequestContext } from '../pipeline/request-context.js';

/**
 * The version name a request asks for (api-definition.md §5), for the access-rights check; null for a
 * non-versioned API (no version check). Read from `definition.location` (header, url-param, url), else
 * `version_data.default_version`. Unknown versions are the version step's business, not this one's.
 *
 * @example
 * const version = createVersionReader(def); version?.(ctx) // "v2"
 */
export function createVersionReader(def: ApiDefinition): ((ctx: RequestContext) => string) | null {
  if (def.version_data?.not_versioned !== false) return null;
  const fallback = def.version_data.default_version ?? '';
  const location = def.definition?.location ?? '';
  const key = def.definition?.key ?? '';
  if (location === 'header' && key !== '') {
    const header = key.toLowerCase();
    return (ctx) => ctx.header(header) || fallback;
  }
  if (location === 'url-param' && key !== '') return (ctx) => (ctx.query === '' ? '' : queryParam(ctx.query, key)) || fallback;
  if (location === 'url') return (ctx) => firstSegment(ctx.path, ctx.matchedLength) ?? fallback;
  return () => fallback;
}

/** The first non-empty `/`-separated segment of `path` from `from` on, or null (no split, one substring). */
function firstSegment(path: string, from: number): string | null {
  let start = from;
  while (start < path.length && path.charCodeAt(start) === 47 /* / */) start++;
  if (start >= path.length) return null;
  const end = path.indexOf('/', start);
  return end === -1 ? path.slice(start) : path.slice(start, end);
}
