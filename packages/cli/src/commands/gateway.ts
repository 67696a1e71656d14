import type { GatewayConfig } from '@tollgate/apidef';
import { loadSystemRoots, runPrimary, settleTlsFrontDoor, WORKER_MODULE } from '@tollgate/gateway';
import type { Logger } from 'pino';

/**
 * Starts a gateway node: a cluster primary and `workers` uWS workers (0 = one per core). The TLS front door
 * is settled first, so every worker of the node serves the port the same way. The upstream trust store is
 * checked here too (each worker reads it again at its start): a bad `SSL_CERT_FILE` stops the node at
 * once, named, instead of crashing every worker.
 */
export async function startGateway(config: Readonly<GatewayConfig>, workers: number, logger: Logger): Promise<{ shutdown(): Promise<void> }> {
  const roots = loadSystemRoots(process.env);
  logger.info({ file: roots.file ?? "Node's bundled roots", certificates: roots.certificates?.length ?? 0 }, 'upstream trust store');
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
