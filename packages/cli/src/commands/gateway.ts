import type { GatewayConfig } from '@tollgate/apidef';
import { runPrimary, settleTlsFrontDoor, WORKER_MODULE } from '@tollgate/gateway';
import type { Logger } from 'pino';

/**
 * Starts a gateway node: a cluster primary and `workers` uWS workers (0 = one per core). The TLS front door
 * is settled first, so every worker of the node serves the port the same way.
 */
export async function startGateway(config: Readonly<GatewayConfig>, workers: number, logger: Logger): Promise<{ shutdown(): Promise<void> }> {
  const resolved = await settleTlsFrontDoor(config, logger);
  return runPrimary({
    metricsPort: config.metrics_port,
    metricsAddress: config.listen_address,
    workers,
    workerModule: WORKER_MODULE,
    env: { TOLLGATE_RESOLVED_CONFIG: JSON.stringify(resolved) },
    logger,
  });
}
