import { discoveredTargets, type ServiceDiscoveryConfig } from '@tollgate/apidef';
import type { Logger } from 'pino';
import { request } from 'undici';
import type { AcquireTarget, CompiledApi, UpstreamTarget } from '../routing/compiled-api.js';
import type { UpstreamPools } from './upstream-pools.js';

const QUERY_TIMEOUT_MS = 10_000;

/** How often the endpoint is asked again: `cache_timeout` seconds (60 when unset); every second with `cache_disabled`. */
export function refreshIntervalMs(sd: ServiceDiscoveryConfig): number {
  if (sd.cache_disabled === true) return 1000;
  return (sd.cache_timeout && sd.cache_timeout > 0 ? sd.cache_timeout : 60) * 1000;
}

/**
 * Asks a discovery endpoint for its targets (GET, 200, JSON): the parsed list, or an Error saying why
 * not. Shared by the worker's refresher; the control plane checks the endpoint the same way on save.
 */
export async function queryDiscovery(sd: ServiceDiscoveryConfig): Promise<string[]> {
  const res = await request(sd.query_endpoint!, { headersTimeout: QUERY_TIMEOUT_MS, bodyTimeout: QUERY_TIMEOUT_MS });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`answered ${res.statusCode}`);
  }
  return discoveredTargets(await res.body.json(), sd);
}

/**
 * `proxy.service_discovery` in a worker (api-definition.md §11): each API's endpoint is queried at load
 * and every `cache_timeout` seconds; a new, non-empty answer replaces the API's targets (several targets
 * are load balanced). A failed query or an empty answer keeps the last good list, and is logged.
 *
 * @example
 * const discovery = new ServiceDiscovery(pools, logger); compileApi(def, { ..., discovery });
 */
export class ServiceDiscovery {
  constructor(private readonly pools: UpstreamPools, private readonly logger: Logger, private readonly query = queryDiscovery) {}

  watch(api: CompiledApi, sd: ServiceDiscoveryConfig, acquire: AcquireTarget): () => void {
    let isStopped = false;
    let timer: NodeJS.Timeout | null = null;
    let owned: string[] = [];
    let current = '';
    const apply = (urls: readonly string[]): void => {
      const key = urls.join('\n');
      if (key === current) return;
      const next: UpstreamTarget[] = [];
      const keys: string[] = [];
      for (const url of urls) {
        try {
          const { target, key } = acquire(url, 'discovered target');
          next.push(target);
          keys.push(key);
        } catch (err) {
          this.logger.warn({ api_id: api.apiId, err: (err as Error).message }, 'service discovery: target skipped');
        }
      }
      if (next.length === 0) return;
      for (const key of owned) this.pools.release(key);
      owned = keys;
      current = key;
      api.targets = next;
      this.logger.info({ api_id: api.apiId, targets: urls }, 'service discovery: targets updated');
    };
    const run = async (): Promise<void> => {
      try {
        const urls = await this.query(sd);
        if (isStopped) return;
        if (urls.length === 0) this.logger.warn({ api_id: api.apiId }, 'service discovery: empty answer; keeping the last targets');
        else apply(urls);
      } catch (err) {
        this.logger.warn({ api_id: api.apiId, endpoint: sd.query_endpoint, err: (err as Error).message }, 'service discovery failed; keeping the last targets');
      } finally {
        if (!isStopped) {
          timer = setTimeout(() => void run(), refreshIntervalMs(sd));
          timer.unref();
        }
      }
    };
    void run();
    return () => {
      isStopped = true;
      if (timer !== null) clearTimeout(timer);
      for (const key of owned) this.pools.release(key);
      owned = [];
    };
  }
}
