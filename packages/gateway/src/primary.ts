import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { startClusterMetrics } from './cluster-metrics.js';

export interface PrimaryOptions {
  readonly workers: number;
  /** Module each worker runs (it reads its configuration from the environment). */
  readonly workerModule: string;
  /** Environment handed to every worker (the resolved configuration). */
  readonly env: Record<string, string>;
  readonly logger: Logger;
  /** `metrics_port` of the node's `/metrics` (all workers together); 0 = none. */
  readonly metricsPort?: number;
  /** `listen_address`: interface of the metrics endpoint ('' = all). */
  readonly metricsAddress?: string;
}

/** A worker that dies within this long of starting counts as a crash loop; restarts then back off. */
const EARLY_EXIT_MS = 2000;

/**
 * The node:cluster primary of a gateway node: forks the workers, replaces any that dies, and on SIGTERM
 * asks every worker to drain, waiting for all of them before it exits.
 *
 * @example
 * runPrimary({ workers: 2, workerModule: '/path/worker-main.js', env, logger });
 */
export function runPrimary(options: PrimaryOptions): { shutdown(): Promise<void>; metricsPort(): number } {
  const { logger } = options;
  const count = options.workers > 0 ? options.workers : availableParallelism();
  let isStopping = false;
  let backoffMs = 0;
  cluster.setupPrimary({ exec: options.workerModule });
  const metrics = startClusterMetrics({ port: options.metricsPort ?? 0, address: options.metricsAddress ?? '', logger });

  const fork = (): void => {
    const startedAt = Date.now();
    const worker: Worker = cluster.fork(options.env);
    worker.once('exit', (code, signal) => {
      if (isStopping) return;
      const early = Date.now() - startedAt < EARLY_EXIT_MS;
      backoffMs = early ? Math.min(Math.max(backoffMs * 2, 250), 10_000) : 0;
      metrics.metrics.workerRestarts.inc();
      logger.error({ pid: worker.process.pid, code, signal, restartInMs: backoffMs }, 'gateway worker died; starting a new one');
      setTimeout(fork, backoffMs);
    });
  };
  for (let i = 0; i < count; i++) fork();
  logger.info({ workers: count }, 'gateway primary started');

  const shutdown = async (): Promise<void> => {
    if (isStopping) return;
    isStopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', () => resolve());
      w.send('shutdown');
    })));
    await metrics.close();
    logger.info('gateway stopped');
  };
  return { shutdown, metricsPort: metrics.port };
}
