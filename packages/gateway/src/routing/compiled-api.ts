import type { UpstreamPool } from '../proxy/http1/upstream-pool.js';
import {
  compileDomain, compileEventHandlers, compileListenPath, listenPathSortLength, normalizeListenPath, usesServiceDiscovery, type ApiDefinition, type CompiledDomain,
  type EventRoutes, type ServiceDiscoveryConfig,
} from '@tollgate/apidef';
import { compileApiAnalytics, type ApiAnalytics } from '../analytics/api-analytics.js';
import { buildPipeline } from '../pipeline/build-pipeline.js';
import { errorOverridesFor, type ErrorOverrides } from '../proxy/error-overrides.js';
import { chooseUnversioned, isVersioned, versionEntries } from '../rules/versions.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
import type { HostHealthView } from '../proxy/host-health-view.js';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import type { UpstreamTlsSpec } from '../tls/upstream-tls.js';

/** One upstream target of an API: where requests go and the pool that carries them. */
export interface UpstreamTarget {
  readonly origin: string;
  /** Path of the target URL (joined with the forwarded path). */
  readonly path: string;
  /** Query of the target URL, prepended to the request's. */
  readonly query: string;
  /** Host header sent upstream unless `preserve_host_header`. */
  readonly host: string;
  readonly pool: UpstreamPool;
  /** Unix ms until which the target is skipped after a failed connect. */
  downUntil: number;
}

/** Acquires a pool for a target URL of this API (its TLS settings applied); `key` releases it. */
export type AcquireTarget = (raw: string, field?: string) => { readonly target: UpstreamTarget; readonly key: string };

/** What a request needs of an API definition, computed once when the definition loads. */
export interface CompiledApi {
  readonly apiId: string;
  readonly orgId: string;
  readonly name: string;
  readonly isActive: boolean;
  /**
   * `internal: true` (api-definition.md §1): bound to no listen path, neither its own nor `/<api_id>/`, so
   * not routable from outside; only Tyk's `tyk://` looping (not implemented) would reach it.
   */
  readonly isInternal: boolean;
  readonly listenPath: string;
  readonly listenPrefix: string;
  readonly listenRegex: RegExp | null;
  readonly sortLength: number;
  readonly host: CompiledDomain | null;
  readonly stripListenPath: boolean;
  readonly disableStripSlash: boolean;
  readonly preserveHostHeader: boolean;
  /** Replaced as a whole when service discovery finds a new list (never mutated in place). */
  targets: readonly UpstreamTarget[];
  /** Set when `proxy.check_host_against_uptime_tests`: hosts uptime tests marked down are skipped. */
  readonly hostHealth: HostHealthView | null;
  /** `override_target` of each version that has one (versioned APIs only), by version name. */
  readonly versionTargets: ReadonlyMap<string, UpstreamTarget>;
  /** The version every request of a non-versioned API uses ('' for versioned APIs): `ctx.versionName` starts as it. */
  readonly fixedVersionName: string;
  /** `CORS.options_passthrough`: every OPTIONS request skips the whole chain and goes upstream (Tyk). */
  readonly isOptionsPassthrough: boolean;
  /** `event_handlers` by event; null when the API has none. */
  readonly events: EventRoutes | null;
  /** Analytics settings (tags, tag headers, do_not_track). */
  readonly analytics: ApiAnalytics;
  /** The middleware chain, built once from the definition (pipeline/build-pipeline.ts). */
  readonly pipeline: readonly Middleware[];
  /**
   * Error overrides (errors-and-flags.md §5): the API's `error_overrides` (unless `error_overrides_disabled`)
   * then tyk.conf's; null when there is no rule at all.
   */
  readonly errorOverrides: ErrorOverrides | null;
  /** Round-robin position for load balancing (per worker, as the spec allows). */
  nextTarget: number;
  /** Releases the upstream pools this API holds. */
  release(): void;
}

export interface CompileOptions {
  readonly pools: UpstreamPools;
  readonly enableCustomDomains: boolean;
  /** tyk.conf `hostname`: the host every API binds to when custom domains are off ("" = any). */
  readonly hostname: string;
  readonly pipelineDeps: PipelineDeps;
  /** Host states from uptime tests (worker-wide); absent in unit tests. */
  readonly hostHealth?: HostHealthView | null;
  /** Keeps `targets` of APIs with `proxy.service_discovery` current; returns the watch's stop function. */
  readonly discovery?: { watch(api: CompiledApi, sd: ServiceDiscoveryConfig, acquire: AcquireTarget): () => void } | null;
  /** Upstream TLS and proxy settings for one target of a definition; null = plain pool. */
  readonly upstreamTls?: (def: ApiDefinition, url: URL) => UpstreamTlsSpec | null;
}

/**
 * Compiles a stored definition. Throws with a message naming the field when the definition cannot be
 * served (the caller logs it and skips the API; other APIs are unaffected).
 *
 * @example
 * const api = compileApi(def, { pools, enableCustomDomains: false, hostname: '', pipelineDeps });
 */
export function compileApi(def: ApiDefinition, options: CompileOptions): CompiledApi {
  const proxy = def.proxy ?? {};
  const rawListenPath = proxy.listen_path;
  if (!rawListenPath) throw new Error('proxy.listen_path is required');
  if (rawListenPath.includes(' ')) throw new Error('proxy.listen_path must not contain a space');
  const listenPath = normalizeListenPath(rawListenPath);
  const pipeline = buildPipeline(def, options.pipelineDeps);
  const errorOverrides = errorOverridesFor(def);
  const { prefix, regex } = compileListenPath(listenPath);
  const sd = usesServiceDiscovery(proxy.service_discovery) ? proxy.service_discovery : null;
  const urls = proxy.enable_load_balancing && (proxy.target_list?.length ?? 0) > 0
    ? (proxy.target_list as string[]) : [proxy.target_url ?? ''];
  // With service discovery and no target_url, there is no upstream until the first answer (503 meanwhile).
  if (sd !== null && urls.length === 1 && urls[0] === '') urls.pop();
  const poolKeys: string[] = [];
  const acquire: AcquireTarget = (raw, field) => {
    const { url, ...parsed } = parseTarget(raw, field);
    const spec = options.upstreamTls?.(def, url) ?? null;
    const key = UpstreamPools.key(parsed.origin, spec);
    return { target: { ...parsed, pool: options.pools.acquire(parsed.origin, spec), downUntil: 0 }, key };
  };
  const targets = urls.map((raw) => {
    const { target, key } = acquire(raw);
    poolKeys.push(key);
    return target;
  });
  const versionTargets = new Map<string, UpstreamTarget>();
  if (isVersioned(def)) {
    for (const [name, info] of versionEntries(def)) {
      const raw = info.override_target ?? '';
      if (raw === '') continue;
      const { target, key } = acquire(raw, `version_data.versions.${name}.override_target`);
      poolKeys.push(key);
      versionTargets.set(name, target);
    }
  }
  const hostRule = options.enableCustomDomains ? (def.domain_disabled ? '' : String(def.domain ?? '')) : options.hostname;
  const host = hostRule ? compileDomain(hostRule) : null;
  let released = false;
  let stopDiscovery: (() => void) | null = null;
  const api: CompiledApi = {
    apiId: String(def.api_id),
    orgId: String(def.org_id ?? ''),
    name: String(def.name ?? ''),
    // Absent `active` means active (spec api-definition.md §1); only an explicit false disables routing.
    isActive: def.active !== false,
    isInternal: def.internal === true,
    listenPath,
    listenPrefix: prefix,
    listenRegex: regex,
    sortLength: listenPathSortLength(listenPath),
    host,
    stripListenPath: Boolean(proxy.strip_listen_path),
    disableStripSlash: Boolean(proxy.disable_strip_slash),
    preserveHostHeader: Boolean(proxy.preserve_host_header),
    targets,
    analytics: compileApiAnalytics(def, listenPath, options.pipelineDeps.config),
    hostHealth: proxy.check_host_against_uptime_tests === true ? options.hostHealth ?? null : null,
    versionTargets,
    fixedVersionName: fixedVersionName(def),
    isOptionsPassthrough: def.CORS?.options_passthrough === true,
    events: compileEventHandlers(def),
    pipeline,
    errorOverrides,
    nextTarget: 0,
    release: () => {
      if (released) return;
      released = true;
      stopDiscovery?.();
      for (const key of poolKeys) options.pools.release(key);
    },
  };
  if (sd !== null && options.discovery) stopDiscovery = options.discovery.watch(api, sd, acquire);
  return api;
}

/** Parses a target URL (`host:port` gets `http://`); throws naming `field` when it is not http(s). */
export function parseTarget(raw: string, field = 'proxy.target_url'): Omit<UpstreamTarget, 'pool' | 'downUntil'> & { url: URL } {
  // target_list entries may be bare host:port (scheme defaults to http).
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`${field} "${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${field} "${raw}" must use http or https`);
  }
  return { origin: url.origin, path: url.pathname, query: url.search.slice(1), host: url.host, url };
}

function fixedVersionName(def: ApiDefinition): string {
  if (isVersioned(def)) return '';
  const choice = chooseUnversioned(def);
  return 'name' in choice ? choice.name : '';
}
