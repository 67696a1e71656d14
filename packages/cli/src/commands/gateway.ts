import type { GatewayConfig } from '@tollgate/apidef';
import { runPrimary, WORKER_MODULE } from '@tollgate/gateway';
import type { Logger } from 'pino';

/** Starts a gateway node: a cluster primary and `workers` uWS workers (0 = one per core). */
export function startGateway(config: Readonly<GatewayConfig>, workers: number, logger: Logger): { shutdown(): Promise<void> } {
  return runPrimary({
    metricsPort: config.metrics_port,
    metricsAddress: config.listen_address,
    workers,
    workerModule: WORKER_MODULE,
    env: { TOLLGATE_RESOLVED_CONFIG: JSON.stringify(config) },
    logger,
  });
}
