import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import { ConfigStore, createRedisClient, waitForReady } from '@tollgate/store';
import type { Logger } from 'pino';
import { mutualTlsApiIds, switchesForMutualTls, withNodeTlsFrontDoor } from './front-door-handover.js';

/**
 * Settles the TLS front door of a node before its workers start, so that all of them (and every worker the
 * primary starts later) agree. uWS cannot ask for client certificates, so with `use_ssl`, the default
 * `tollgate.tls_front_door` ("auto") and at least one active API with `use_mutual_tls_auth` stored at start,
 * the node serves TLS through node:tls. An mTLS API added later moves the running node over (the primary's
 * handover, front-door-handover.ts); a Redis that does not answer leaves the choice to the configuration alone.
 *
 * @example
 * const resolved = await settleTlsFrontDoor(config, logger); runPrimary({ env: { TOLLGATE_RESOLVED_CONFIG: JSON.stringify(resolved) }, ... });
 */
export async function settleTlsFrontDoor(config: Readonly<GatewayConfig>, logger: Logger): Promise<Readonly<GatewayConfig>> {
  if (!switchesForMutualTls(config)) return config;
  const redis = createRedisClient(config.storage, { name: 'tollgate:gateway:start', retry: false });
  redis.on('error', () => undefined);
  try {
    await waitForReady(redis, 3000);
    const apis = await new ConfigStore(redis).list('api');
    const mtls = mutualTlsApiIds([...apis.values()].map((json) => JSON.parse(json) as ApiDefinition));
    if (mtls.length === 0) return config;
    logger.warn({ apis: mtls }, 'APIs with use_mutual_tls_auth: serving TLS through the node:tls front door (uWS cannot ask for client certificates)');
    return withNodeTlsFrontDoor(config);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'could not read the stored APIs to settle the TLS front door; using the configuration alone');
    return config;
  } finally {
    redis.disconnect();
  }
}
