import type { ApiDefinition, HardTimeout } from '@tollgate/apidef';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import { compileKind, findEntry, patternContext, type EndpointEntry } from '../rules/endpoint-list.js';
import { perVersion } from '../rules/versions.js';

/**
 * Extended `hard_timeouts` (api-definition.md §10): the first entry matching the request's endpoint
 * and method sets how long the upstream may take to answer (`timeout` seconds). Past it the request gets
 * Tyk's 504 `Upstream service reached hard timeout.` (flag URT), like `proxy_default_timeout`.
 *
 * @example
 * const timeouts = createHardTimeouts(def, deps); // null when no version has hard_timeouts
 */
export function createHardTimeouts(def: ApiDefinition, deps: PipelineDeps): Middleware | null {
  const lookup = perVersion<EndpointEntry<number>[]>(def, (info, name) => {
    if (info.use_extended_paths !== true) return null;
    const pc = patternContext(def, info, deps.config);
    const list = compileKind<HardTimeout, number>(`version_data.versions.${name}.extended_paths.hard_timeouts`, info.extended_paths?.hard_timeouts, pc,
      (e) => ((e.timeout ?? 0) > 0 ? Math.round(e.timeout! * 1000) : null));
    return list.length === 0 ? null : list;
  });
  if (lookup === null) return null;
  return (ctx) => {
    const list = lookup(ctx);
    if (list === undefined) return undefined;
    const entry = findEntry(list, ctx, false);
    if (entry !== undefined) ctx.upstreamTimeoutMs = entry.value;
    return undefined;
  };
}
