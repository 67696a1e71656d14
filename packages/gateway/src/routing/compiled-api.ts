import type { Pool } from 'undici';
import {
  compileDomain, compileListenPath, listenPathSortLength, normalizeListenPath, type ApiDefinition, type CompiledDomain,
} from '@tollgate/apidef';
import { buildPipeline } from '../pipeline/build-pipeline.js';
import type { Middleware, PipelineDeps } from '../pipeline/middleware.js';
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
  readonly pool: Pool;
  /** Unix ms until which the target is skipped after a failed connect. */
  downUntil: number;
}

/** What a request needs of an API definition, computed once when the definition loads. */
export interface CompiledApi {
  readonly apiId: string;
  readonly orgId: string;
  readonly name: string;
  readonly isActive: boolean;
  readonly listenPath: string;
  readonly listenPrefix: string;
  readonly listenRegex: RegExp | null;
  readonly sortLength: number;
  readonly host: CompiledDomain | null;
  readonly stripListenPath: boolean;
  readonly disableStripSlash: boolean;
  readonly preserveHostHeader: boolean;
  readonly targets: readonly UpstreamTarget[];
  /** The middleware chain, built once from the definition (pipeline/build-pipeline.ts). */
  readonly pipeline: readonly Middleware[];
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
  const { prefix, regex } = compileListenPath(listenPath);
  const urls = proxy.enable_load_balancing && (proxy.target_list?.length ?? 0) > 0
    ? (proxy.target_list as string[]) : [proxy.target_url ?? ''];
  const poolKeys: string[] = [];
  const parsed = urls.map(parseTarget);
  const specs = parsed.map((t) => options.upstreamTls?.(def, t.url) ?? null);
  const targets = parsed.map(({ url: _url, ...target }, i) => {
    poolKeys.push(UpstreamPools.key(target.origin, specs[i]!));
    return { ...target, pool: options.pools.acquire(target.origin, specs[i]!), downUntil: 0 };
  });
  const hostRule = options.enableCustomDomains ? (def.domain_disabled ? '' : String(def.domain ?? '')) : options.hostname;
  const host = hostRule ? compileDomain(hostRule) : null;
  let released = false;
  return {
    apiId: String(def.api_id),
    orgId: String(def.org_id ?? ''),
    name: String(def.name ?? ''),
    // Absent `active` means active (spec api-definition.md §1); only an explicit false disables routing.
    isActive: def.active !== false,
    listenPath,
    listenPrefix: prefix,
    listenRegex: regex,
    sortLength: listenPathSortLength(listenPath),
    host,
    stripListenPath: Boolean(proxy.strip_listen_path),
    disableStripSlash: Boolean(proxy.disable_strip_slash),
    preserveHostHeader: Boolean(proxy.preserve_host_header),
    targets,
    pipeline,
    nextTarget: 0,
    release: () => {
      if (released) return;
      released = true;
      for (const key of poolKeys) options.pools.release(key);
    },
  };
}

function parseTarget(raw: string): Omit<UpstreamTarget, 'pool' | 'downUntil'> & { url: URL } {
  // target_list entries may be bare host:port (scheme defaults to http).
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`proxy.target_url "${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`proxy.target_url "${raw}" must use http or https`);
  }
  return { origin: url.origin, path: url.pathname, query: url.search.slice(1), host: url.host, url };
}
