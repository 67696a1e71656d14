import type { GatewayConfig } from '@tollgate/apidef';
import { pino } from 'pino';
import { runWorker } from './worker.js';

/** Entry point of a forked worker: the primary passes the resolved configuration in the environment. */
const config = JSON.parse(process.env.TOLLGATE_RESOLVED_CONFIG ?? 'null') as GatewayConfig | null;
const logger = pino({ level: config?.log_level ?? 'info', base: { process: 'gateway-worker', pid: process.pid } });
if (!config) {
  logger.fatal('TOLLGATE_RESOLVED_CONFIG missing: a worker is started by `tollgate gateway`, not directly');
  process.exit(1);
}
runWorker(config, logger).catch((err: unknown) => {
  logger.fatal({ err: (err as Error).message }, 'gateway worker failed to start');
  process.exit(1);
});
