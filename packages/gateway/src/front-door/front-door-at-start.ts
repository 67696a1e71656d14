import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import { ConfigStore, createRedisClient, waitForReady } from '@tollgate/store';
import type { Logger } from 'pino';
import { chooseFrontDoor } from './choose-front-door.js';

/**
 * Settles the TLS front door of a node before its workers start, so that all of them (and every worker the
 * primary starts later) agree. uWS cannot ask for client certificates, so with `use_ssl`, the default
 * `tollgate.tls_front_door` ("auto") and at least one active API with `use_mutual_tls_auth` stored at start,
 * the node serves TLS through node:tls. An mTLS API added later needs a restart (the worker logs that);
 * a Redis that does not answer leaves the choice to the configuration alone.
 *
 * @example
 * const resolved = await settleTlsFrontDoor(config, logger); runPrimary({ env: { TOLLGATE_RESOLVED_CONFIG: JSON.stringify(resolved) }, ... });
 */
export async function settleTlsFrontDoor(config: Readonly<GatewayConfig>, logger: Logger): Promise<Readonly<GatewayConfig>> {
  if (!config.http_server_options.use_ssl) return config;
  const tollgate = (config.tollgate ?? {}) as Record<string, unknown>;
  if ((tollgate.tls_front_door ?? 'auto') !== 'auto' || chooseFrontDoor(config).kind === 'node-tls') return config;
  const redis = createRedisClient(config.storage, { name: 'tollgate:gateway:start', retry: false });
  redis.on('error', () => undefined);
  try {
    await waitForReady(redis, 3000);
    const apis = await new ConfigStore(redis).list('api');
    const mtls = [...apis.values()].map((json) => JSON.parse(json) as ApiDefinition)
      .filter((def) => def.use_mutual_tls_auth === true && def.active !== false).map((def) => def.api_id);
    if (mtls.length === 0) return config;
    logger.warn({ apis: mtls }, 'APIs with use_mutual_tls_auth: serving TLS through the node:tls front door (uWS cannot ask for client certificates)');
    return { ...config, tollgate: { ...tollgate, tls_front_door: 'node' } };
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'could not read the stored APIs to settle the TLS front door; using the configuration alone');
    return config;
  } finally {
    redis.disconnect();
  }
}
