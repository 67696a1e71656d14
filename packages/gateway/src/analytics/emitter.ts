import type { GatewayConfig } from '@tollgate/apidef';
import { AnalyticsQueue, type RedisClient } from '@tollgate/store';
import type { Logger } from 'pino';
import { errors } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ClientIpResolver } from '../pipeline/client-ip.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { AnalyticsBatcher } from './batcher.js';
import { compilePathNormaliser } from './path-normaliser.js';
import { createRecordWriter } from './record-builder.js';

/**
 * Records per batch (one stream entry); a batch that is not full goes out after `flush_interval`, so under
 * load a batch holds what a worker serves in 200 ms. What a batch costs whatever its size (an append, a
 * read, the aggregate script's calls per entry, an acknowledgement) is so shared by as many records as the
 * interval brings; at 3-6 bytes per record a full batch is still only tens of kilobytes.
 */
const BATCH_SIZE = 10_000;

export interface AnalyticsEmitter {
  /**
   * Records the exchange unless the API is not tracked (`do_not_track`), the request matched one of its
   * `do_not_track_endpoints`, or the client IP is ignored. Never waits.
   */
  emit(ctx: RequestContext): void;
  readonly batcher: AnalyticsBatcher<RequestContext>;
  /** Hands over what is buffered (bounded wait); resolves with the records dropped at shutdown. */
  stop(timeoutMs: number): Promise<number>;
}

export interface EmitterDeps {
  /** A fail-fast client (no offline queue, no resend): the batcher keeps and retries its own batches. */
  readonly redis: RedisClient;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Unique for this process's life: prefixes batch ids. */
  readonly workerId: string;
  /** The client IP as IP lists resolve it (record `ip_address`, `ignored_ips`). */
  readonly clientIp: ClientIpResolver;
}

/**
 * Spec analytics.md §1: a record for every request that went upstream, was answered from the cache, or
 * ended with a gateway error; none for a pipeline reply that is not an error (CORS preflight, mock
 * response), nor for a body over `max_request_body_size` (413, also when a chunked body crosses it while
 * streaming: the declared-size case never reaches an API).
 */
function isRecorded(ctx: RequestContext): boolean {
  if (ctx.error !== null) return ctx.error !== errors.entityTooLarge;
  return ctx.upstreamSentMs > 0 || ctx.isCachedResponse || ctx.status === 499;
}

/**
 * The worker's analytics emitter (spec analytics.md §1, §4): builds a record per finished exchange and
 * batches it to the Redis queue. Returns null when tyk.conf `enable_analytics` is off.
 *
 * @example
 * const emitter = createAnalyticsEmitter(config, { redis, metrics, logger, workerId });
 * emitter?.emit(exchange);
 */
export function createAnalyticsEmitter(config: Readonly<GatewayConfig>, deps: EmitterDeps): AnalyticsEmitter | null {
  if (!config.enable_analytics) return null;
  const analytics = config.analytics_config;
  const queue = new AnalyticsQueue(deps.redis, { maxQueuedRecords: analytics.max_queued_records });
  const { metrics, logger } = deps;
  let isFailing = false;
  const batcher = new AnalyticsBatcher<RequestContext>({
    sink: queue,
    write: createRecordWriter({ clientIp: deps.clientIp, normalisePath: compilePathNormaliser(analytics.normalise_urls) }),
    batchSize: BATCH_SIZE,
    flushIntervalMs: analytics.flush_interval,
    maxBufferedRecords: analytics.max_buffered_records,
    idPrefix: deps.workerId,
    onDropped: (n) => metrics.analyticsDropped.inc(n),
    onQueued: (n) => {
      metrics.analyticsQueued.inc(n);
      if (isFailing) logger.info('analytics records reach Redis again');
      isFailing = false;
    },
    onSinkError: (err, pending) => {
      metrics.analyticsSendFailures.inc();
      if (!isFailing) logger.warn({ err: err?.message ?? 'analytics queue in Redis is full', buffered: pending }, 'analytics records held back; retrying');
      isFailing = true;
    },
  });
  metrics.sources.bufferedRecords = () => batcher.bufferedRecords;
  const ignoredIps = new Set(analytics.ignored_ips);
  batcher.start();
  return {
    batcher,
    emit(ctx) {
      const analytics = ctx.api.analytics;
      if (!analytics.isTracked || !isRecorded(ctx)) return;
      if (analytics.endpoints !== null && analytics.endpoints.isExcluded(ctx)) return;
      if (ignoredIps.size > 0 && ignoredIps.has(deps.clientIp(ctx))) return;
      batcher.push(ctx);
    },
    stop: (timeoutMs) => batcher.stop(timeoutMs),
  };
}
