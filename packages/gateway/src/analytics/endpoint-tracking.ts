import type { ApiDefinition, EndpointBase, GatewayConfig } from '@tollgate/apidef';
import type { RequestContext } from '../pipeline/request-context.js';
import { compileKind, findEntry, patternContext, type EndpointEntry } from '../rules/endpoint-list.js';
import { perVersion } from '../rules/versions.js';

/** The extended `track_endpoints` and `do_not_track_endpoints` of one version, compiled. */
interface VersionTracking {
  /** Value: the entry's `path` as configured (the record's `path` when it matches), with a leading '/'. */
  readonly track: readonly EndpointEntry<string>[];
  readonly doNotTrack: readonly EndpointEntry<true>[];
}

/** Per-endpoint analytics opt-in and opt-out of one API (spec analytics.md §7). */
export interface EndpointTracking {
  /** The request matched a `do_not_track_endpoints` entry of its version: it leaves no record. */
  isExcluded(ctx: RequestContext): boolean;
  /**
   * The configured path of the first `track_endpoints` entry of its version the request matches, or null:
   * the record then has `track_path: true` and this pattern as its `path`.
   */
  trackedPath(ctx: RequestContext): string | null;
}

const withLeadingSlash = (path: string): string => (path.charCodeAt(0) === 47 /* / */ ? path : `/${path}`);

/**
 * Compiles `track_endpoints` and `do_not_track_endpoints` of every version (extended paths only, so only
 * with `use_extended_paths`; an entry needs its method, matched exactly, as for the other marks of §10 of
 * api-definition.md). Null when no version has an enabled entry: records then cost nothing more.
 *
 * @example
 * const tracking = compileEndpointTracking(def, config);
 * tracking?.trackedPath(ctx); // "/widgets/{id}"
 */
export function compileEndpointTracking(def: ApiDefinition, config: Readonly<GatewayConfig>): EndpointTracking | null {
  const lookup = perVersion<VersionTracking>(def, (info, name) => {
    if (info.use_extended_paths !== true) return null;
    const pc = patternContext(def, info, config);
    const base = `version_data.versions.${name}.extended_paths`;
    const track = compileKind<EndpointBase, string>(`${base}.track_endpoints`, info.extended_paths?.track_endpoints, pc, (e) => withLeadingSlash(e.path!));
    const doNotTrack = compileKind<EndpointBase, true>(`${base}.do_not_track_endpoints`, info.extended_paths?.do_not_track_endpoints, pc, () => true);
    return track.length > 0 || doNotTrack.length > 0 ? { track, doNotTrack } : null;
  });
  if (lookup === null) return null;
  return {
    isExcluded(ctx) {
      const lists = lookup(ctx);
      return lists !== undefined && lists.doNotTrack.length > 0 && findEntry(lists.doNotTrack, ctx, false) !== undefined;
    },
    trackedPath(ctx) {
      const lists = lookup(ctx);
      if (lists === undefined || lists.track.length === 0) return null;
      return findEntry(lists.track, ctx, false)?.value ?? null;
    },
  };
}
