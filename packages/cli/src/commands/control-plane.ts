import type { GatewayConfig } from '@tollgate/apidef';
import { queryAggregates } from '@tollgate/analytics';
import { createControlPlane, type ControlPlane } from '@tollgate/control-plane';
import { createRedisClient, waitForReady } from '@tollgate/store';
import type { Logger } from 'pino';

/** Connects to Redis, loads `app_path` and the policy files, and serves the admin API. Exits with a clear message if Redis is unreachable. */
/** The running control plane and the port its admin API took (any free one when `control_api_port` is 0). */
export type RunningControlPlane = ControlPlane & { readonly port: number };

export async function startControlPlane(config: Readonly<GatewayConfig>, logger: Logger): Promise<RunningControlPlane> {
  const redis = createRedisClient(config.storage, { name: 'tollgate:control-plane' });
  redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error'));
  try {
    await waitForReady(redis, Math.max(2000, config.storage.timeout * 1000));
  } catch (err) {
    redis.disconnect();
    throw new Error(`control plane: ${(err as Error).message} (storage.host ${config.storage.host}, storage.port ${config.storage.port})`);
  }
  // The control plane serves the aggregates `tollgate analytics` writes; it may not import that package, so the reader is injected here.
  const analytics = { query: (dimension: Parameters<typeof queryAggregates>[1], range: { fromMs: number; toMs: number; orgId: string }) => queryAggregates(redis, dimension, range) };
  const controlPlane = createControlPlane({ config, redis, logger, analytics });
  const { loaded, skipped } = await controlPlane.registry.loadDirectory(config.app_path, logger);
  const policies = await controlPlane.policies.loadFromConfig(logger);
  const port = await controlPlane.listen();
  logger.info({ port, app_path: config.app_path, loaded, skipped, policies_loaded: policies.loaded, policies_skipped: policies.skipped }, 'control plane listening');
  const close = controlPlane.close;
  return {
    ...controlPlane,
    port,
    close: async () => {
      await close();
      redis.disconnect();
    },
  };
}
