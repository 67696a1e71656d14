import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { GatewayConfig } from '@tollgate/apidef';
import { AnalyticsQueue, createRedisClient, type RedisClient } from '@tollgate/store';
import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AnalyticsConsumer } from './consumer.js';
import { createConsumerMetrics } from './metrics.js';

/** BullMQ keys share one hash tag so its scripts run on Redis Cluster. */
const JOB_PREFIX = '{tollgate:analytics:jobs}';
const JOB_QUEUE = 'drain';
/** One drain job consumes for at most this long, then the next scheduled job carries on. */
const DRAIN_MAX_MS = 10_000;

export interface AnalyticsServiceOptions {
  readonly config: Readonly<GatewayConfig>;
  readonly logger: Logger;
  /** Port of this process's `/metrics`; 0 = none. */
  readonly metricsPort: number;
  /** How often a drain job is scheduled. */
  readonly intervalMs: number;
}

export interface AnalyticsService {
  /** Port of `/metrics` (0 when none). */
  readonly metricsPort: number;
  readonly registry: Registry;
  /** Drains the queue now (tests and shutdown). */
  drainNow(): Promise<number>;
  close(): Promise<void>;
}

/** `ignore_tag_prefix_list` with the older `aggregates_ignore_tags` merged in (spec analytics.md §6). */
export function ignoredTagPrefixes(config: Readonly<GatewayConfig>): string[] {
  return [...new Set([...config.analytics_config.ignore_tag_prefix_list, ...config.aggregates_ignore_tags])].filter((p) => p !== '');
}

/**
 * `tollgate analytics`: a BullMQ job scheduler fires a drain job every `intervalMs`; the job consumes the
 * record stream through a consumer group and writes the hourly aggregates. BullMQ gives the schedule,
 * retries and one-job-at-a-time across any number of analytics processes; the stream carries the records
 * (see the README for the measurement behind that split).
 *
 * @example
 * const service = await startAnalyticsService({ config, logger, metricsPort: 9092, intervalMs: 500 });
 */
export async function startAnalyticsService(options: AnalyticsServiceOptions): Promise<AnalyticsService> {
  const { config, logger } = options;
  const redis: RedisClient = createRedisClient(config.storage, { name: 'tollgate:analytics' });
  const bullConnection = createRedisClient(config.storage, { name: 'tollgate:analytics:jobs', isQueue: true });
  redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error'));
  bullConnection.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis (jobs) error'));
  const queue = new AnalyticsQueue(redis, { maxQueuedRecords: config.analytics_config.max_queued_records });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createConsumerMetrics(registry, () => queue.queuedRecords());
  const consumer = new AnalyticsConsumer({
    redis, queue, metrics, logger,
    consumerName: `${hostname()}:${process.pid}`,
    ignoreTagPrefixes: ignoredTagPrefixes(config),
    trackAllPaths: config.analytics_config.track_all_paths,
  });
  let running: Promise<number> = Promise.resolve(0);
  const drain = (): Promise<number> => {
    // One drain at a time in this process; BullMQ's concurrency 1 already ensures it for jobs.
    running = running.catch(() => 0).then(async () => {
      const end = metrics.drainSeconds.startTimer();
      try {
        return (await consumer.drain(DRAIN_MAX_MS)).records;
      } finally {
        end();
      }
    });
    return running;
  };

  const jobs = new Queue(JOB_QUEUE, { connection: bullConnection, prefix: JOB_PREFIX });
  await jobs.upsertJobScheduler('drain-analytics', { every: options.intervalMs }, {
    name: 'drain', opts: { removeOnComplete: true, removeOnFail: 100 },
  });
  const worker = new Worker(JOB_QUEUE, async () => drain(), { connection: bullConnection, prefix: JOB_PREFIX, concurrency: 1 });
  worker.on('failed', (_job, err) => {
    metrics.drainFailures.inc();
    logger.warn({ err: err.message }, 'analytics drain failed; the next scheduled job retries');
  });
  worker.on('error', (err) => logger.debug({ err: err.message }, 'analytics job worker error'));

  const server = options.metricsPort > 0 ? await serveMetrics(registry, options.metricsPort, config.listen_address, logger) : null;
  logger.info({ intervalMs: options.intervalMs, metricsPort: server ? (server.address() as AddressInfo).port : 0 }, 'analytics consumer started');
  return {
    metricsPort: server ? (server.address() as AddressInfo).port : 0,
    registry,
    drainNow: drain,
    async close() {
      await worker.close();
      await jobs.close();
      await running.catch(() => 0);
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server?.closeAllConnections();
      redis.disconnect();
      bullConnection.disconnect();
    },
  };
}

/** Serves `/metrics`; a port that cannot be bound is logged and the consumer runs on without it. */
function serveMetrics(registry: Registry, port: number, address: string, logger: Logger): Promise<Server | null> {
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
      return;
    }
    registry.metrics().then((text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text), (err: Error) => {
      logger.warn({ err: err.message }, 'metrics scrape failed');
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n');
    });
  });
  return new Promise((resolve) => {
    server.once('error', (err) => {
      logger.error({ err: err.message, port }, 'analytics metrics endpoint not available');
      resolve(null);
    });
    server.listen(port, address || undefined, () => resolve(server));
  });
}
