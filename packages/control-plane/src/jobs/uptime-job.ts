import type { ApiDefinition, GatewayConfig } from '@tollgate/apidef';
import { createRedisClient, HostHealthStore, JOBS_PREFIX, type RedisClient } from '@tollgate/store';
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { collectChecks, runUptimeRound, type UptimeCheck } from './uptime-checks.js';

const QUEUE_NAME = 'uptime-checks';
const SCHEDULER_ID = 'uptime-round';

export interface UptimeJobOptions {
  readonly config: Readonly<GatewayConfig>;
  /** The regular connection (definitions, host states). */
  readonly redis: RedisClient;
  readonly listApis: () => Promise<ApiDefinition[]>;
  readonly logger: Logger;
  readonly onTransition?: (event: 'HostDown' | 'HostUp', check: UptimeCheck) => void;
}

/**
 * Uptime tests as a BullMQ job scheduler: one round every `uptime_tests.config.time_wait` seconds, run
 * by exactly one control plane however many are up (BullMQ hands each scheduled job to one worker). A
 * round reads the current definitions, so added and removed checks need no rescheduling. Off when
 * tyk.conf `uptime_tests.disable` is true.
 *
 * @example
 * const job = await startUptimeJob({ config, redis, listApis: () => registry.list(), logger });
 * await job.close();
 */
export async function startUptimeJob(options: UptimeJobOptions): Promise<{ close(): Promise<void> }> {
  const { config, logger } = options;
  const uptime = config.uptime_tests;
  if (uptime.disable) return { close: async () => undefined };
  const connections = [createRedisClient(config.storage, { name: 'tollgate:cp:uptime-queue', isQueue: true }),
    createRedisClient(config.storage, { name: 'tollgate:cp:uptime-worker', isQueue: true })] as const;
  for (const c of connections) c.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error (uptime jobs)'));
  const health = new HostHealthStore(options.redis);
  const queue = new Queue(QUEUE_NAME, { connection: connections[0], prefix: JOBS_PREFIX });
  const worker = new Worker(QUEUE_NAME, async () => {
    const checks = collectChecks(await options.listApis());
    if (checks.length === 0) return { checks: 0 };
    const result = await runUptimeRound({
      checks, health, logger, threshold: uptime.config.failure_trigger_sample_size, poolSize: uptime.config.checker_pool_size,
      onTransition: options.onTransition ?? (() => undefined),
    });
    return { checks: checks.length, ...result };
  }, { connection: connections[1], prefix: JOBS_PREFIX, concurrency: 1 });
  worker.on('failed', (_job, err) => logger.error({ err: err.message }, 'uptime round failed'));
  worker.on('error', (err) => logger.warn({ err: err.message }, 'uptime worker error'));
  queue.on('error', (err) => logger.warn({ err: err.message }, 'uptime queue error'));
  await queue.upsertJobScheduler(SCHEDULER_ID, { every: Math.max(100, Math.round(uptime.config.time_wait * 1000)) }, {
    name: 'round', opts: { removeOnComplete: 10, removeOnFail: 50 },
  });
  return {
    async close() {
      await worker.close();
      await queue.close();
      for (const c of connections) c.disconnect();
    },
  };
}
