import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { startClusterMetrics } from './cluster-metrics.js';
import { HANDOVER, isHandoverMessage, nodeTlsWorkerEnv, type MutualTlsApisMessage } from './front-door/front-door-handover.js';

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
/** How long the workers of a handover get to load before it is given up (the old ones keep serving). */
const HANDOVER_READY_MS = 60_000;
/** How long an old worker gets to close its listen sockets in a handover. */
const HANDOVER_STOP_MS = 10_000;

/**
 * Resolves true when `worker` sends the handover message `type`, false when it exits first or `ms` pass.
 */
function waitForMessage(worker: Worker, type: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(ok);
    };
    const onMessage = (msg: unknown): void => { if (isHandoverMessage(msg, type)) done(true); };
    const onExit = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}

/**
 * The node:cluster primary of a gateway node: forks the workers, replaces any that dies, and on SIGTERM
 * asks every worker to drain, waiting for all of them before it exits. When a uWS TLS worker reports an
 * API with mutual TLS (which uWS cannot serve), the primary moves the node to the node:tls front door
 * without a restart: a handover (front-door-handover.ts) that starts the new workers held, stops the old
 * ones accepting, then lets the new ones listen.
 *
 * @example
 * runPrimary({ workers: 2, workerModule: '/path/worker-main.js', env, logger });
 */
export function runPrimary(options: PrimaryOptions): { shutdown(): Promise<void>; metricsPort(): number } {
  const { logger } = options;
  const count = options.workers > 0 ? options.workers : availableParallelism();
  let isStopping = false;
  let backoffMs = 0;
  /** The environment of the workers serving now (and of their replacements). */
  let env = options.env;
  /** Workers that serve (or are starting to), replaced when they die. */
  const serving = new Set<Worker>();
  let handover: Promise<void> | null = null;
  cluster.setupPrimary({ exec: options.workerModule });
  const metrics = startClusterMetrics({ port: options.metricsPort ?? 0, address: options.metricsAddress ?? '', logger });

  const fork = (workerEnv: Record<string, string>, replaceOnExit: boolean): Worker => {
    const startedAt = Date.now();
    const worker: Worker = cluster.fork(workerEnv);
    if (replaceOnExit) serving.add(worker);
    worker.on('message', (msg: unknown) => {
      if (isHandoverMessage(msg, HANDOVER.mutualTlsApis)) moveToNodeTls((msg as MutualTlsApisMessage).apis);
    });
    worker.once('exit', (code, signal) => {
      const wasServing = serving.delete(worker);
      if (isStopping || !wasServing) return;
      const early = Date.now() - startedAt < EARLY_EXIT_MS;
      backoffMs = early ? Math.min(Math.max(backoffMs * 2, 250), 10_000) : 0;
      metrics.metrics.workerRestarts.inc();
      logger.error({ pid: worker.process.pid, code, signal, restartInMs: backoffMs }, 'gateway worker died; starting a new one');
      setTimeout(() => { if (!isStopping) fork(env, true); }, backoffMs);
    });
    return worker;
  };

  const moveToNodeTls = (apis: readonly string[]): void => {
    if (handover !== null || isStopping) return;
    const next = nodeTlsWorkerEnv(env);
    if (next === null) return;
    logger.warn({ apis }, 'APIs with use_mutual_tls_auth: moving TLS to the node:tls front door (uWS cannot ask for client certificates)');
    handover = handOver(next).finally(() => { handover = null; });
  };

  const handOver = async (next: Record<string, string>): Promise<void> => {
    const outgoing = [...serving];
    const incoming = Array.from({ length: count }, () => fork({ ...next, [HANDOVER.holdEnv]: '1' }, false));
    const ready = await Promise.all(incoming.map((w) => waitForMessage(w, HANDOVER.readyToListen, HANDOVER_READY_MS)));
    if (isStopping || ready.includes(false)) {
      for (const w of incoming) if (!w.isDead()) w.kill();
      if (!isStopping) logger.error('front-door handover given up: a new worker did not load; the node keeps serving TLS through uWS');
      return;
    }
    env = next;
    // The old workers stop accepting and drain; their exits are not replaced (they left `serving`).
    for (const w of outgoing) serving.delete(w);
    await Promise.all(outgoing.map((w) => {
      const stopped = waitForMessage(w, HANDOVER.stoppedAccepting, HANDOVER_STOP_MS);
      if (!w.isDead()) w.send('shutdown');
      return stopped;
    }));
    for (const w of incoming) {
      if (w.isDead()) {
        fork(env, true);
        continue;
      }
      serving.add(w);
      w.send(HANDOVER.listen);
    }
    logger.info({ workers: incoming.length }, 'TLS now served through the node:tls front door');
  };

  for (let i = 0; i < count; i++) fork(env, true);
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
