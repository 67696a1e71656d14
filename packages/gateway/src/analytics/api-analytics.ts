import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import type { RecordApiInfo } from '@tollgate/store';
import { compileEndpointTracking, type EndpointTracking } from './endpoint-tracking.js';

/** What the analytics record of one API needs from its definition, computed once at load. */
export interface ApiAnalytics {
  /** `do_not_track`: no record for any request of the API (metrics still count it). */
  readonly isTracked: boolean;
  /** `tag_headers`, lower-cased (header names in the request context are lower-case). */
  readonly tagHeaders: readonly string[];
  /** `tags`, added to every record. */
  readonly tags: readonly string[];
  /** `expire_analytics_after` in ms; 0 = 100 years (spec analytics.md §2, `expireAt`). */
  readonly expireAfterMs: number;
  /** What every record of the API shares; queued once per batch. */
  readonly info: RecordApiInfo;
  /** `track_endpoints` / `do_not_track_endpoints` of its versions; null when it has none. */
  readonly endpoints: EndpointTracking | null;
}

const HUNDRED_YEARS_MS = 100 * 365.25 * 24 * 3600 * 1000;

/**
 * Compiles the analytics fields of a definition (spec api-definition.md §9, analytics.md §3 and §7).
 * Throws, naming the field, when a tracked endpoint's pattern is not a valid regex.
 *
 * @example
 * compileApiAnalytics({ api_id: 'a', tag_headers: ['X-Team'], tags: ['public'] }, '/a/', config).tagHeaders; // ['x-team']
 */
export function compileApiAnalytics(def: ApiDefinition, listenPath: string, config: Readonly<GatewayConfig>): ApiAnalytics {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const expire = Number(def.expire_analytics_after ?? 0);
  const tags = Object.freeze(strings(def.tags));
  const expireAfterMs = Number.isFinite(expire) && expire > 0 ? expire * 1000 : HUNDRED_YEARS_MS;
  return Object.freeze({
    isTracked: def.do_not_track !== true,
    tagHeaders: Object.freeze([...new Set(strings(def.tag_headers).map((h) => h.toLowerCase()))]),
    tags,
    expireAfterMs,
    info: Object.freeze({
      apiId: String(def.api_id), apiName: String(def.name ?? ''), orgId: String(def.org_id ?? ''), listenPath, tags, expireAfterMs,
    }),
    endpoints: compileEndpointTracking(def, config),
  });
}
