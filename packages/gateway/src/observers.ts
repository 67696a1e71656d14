import type { GatewayConfig } from '@tollgate/apidef';
import { createRedisClient } from '@tollgate/store';
import type { Logger } from 'pino';
import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';
import { createAccessLog } from './access-log.js';
import { createAnalyticsEmitter } from './analytics/emitter.js';
import { createGatewayMetrics, type MetricSources } from './metrics.js';
import type { ClientIpResolver } from './pipeline/client-ip.js';
import type { RequestContext } from './pipeline/request-context.js';

/** How long a stopping worker tries to hand its buffered analytics records to Redis. */
const ANALYTICS_STOP_MS = 3000;

/** What a worker does where an exchange ends: metrics for every request, an analytics record when kept, an access-log line when enabled. */
export interface ExchangeObservers {
  exchangeDone(ctx: RequestContext): void;
  /** A TLS connection refused before any request (counted as a `tls` rejection, no API). */
  handshakeRejected(): void;
  /** Scrape-time values (revision, Redis health) from parts the worker builds later. */
  readonly sources: MetricSources;
  /** Hands buffered records over (bounded wait) and closes the analytics connection. */
  stop(): Promise<void>;
}

/**
 * Metrics (registered for the primary's cluster aggregation over IPC) and the analytics emitter of one
 * worker. Never throws into the request path: a failure is logged and the request is unaffected.
 *
 * @example
 * const observers = createExchangeObservers({ config, logger, workerId, clientIp: deps.clientIp });
 * observers.exchangeDone(exchange.ctx);
 */
export function createExchangeObservers(options: {
  readonly config: Readonly<GatewayConfig>;
  readonly logger: Logger;
  readonly workerId: string;
  readonly clientIp: ClientIpResolver;
  /** The worker's registry, shared with other components' metrics (rate limits); one is made when absent. */
  readonly registry?: Registry;
}): ExchangeObservers {
  const { config, logger } = options;
  const registry = options.registry ?? new Registry();
  new AggregatorRegistry(); // installs the worker's IPC responder
  AggregatorRegistry.setRegistries([registry]);
  collectDefaultMetrics({ register: registry });
  const metrics = createGatewayMetrics(registry);
  const redis = config.enable_analytics
    ? createRedisClient(config.storage, { name: 'tollgate:gateway:analytics', failFast: true }) : null;
  redis?.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis analytics connection error'));
  const emitter = redis === null ? null : createAnalyticsEmitter(config, {
    redis, metrics, logger, workerId: `${options.workerId}:${Date.now()}`, clientIp: options.clientIp,
  });
  const accessLog = createAccessLog(config, logger, options.clientIp);
  return {
    sources: metrics.sources,
    handshakeRejected: metrics.rejectedHandshake,
    exchangeDone(ctx) {
      try {
        metrics.observeExchange(ctx);
        emitter?.emit(ctx);
        accessLog?.(ctx);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'metrics, analytics or access log failed for a request');
      }
    },
    async stop() {
      const lost = await emitter?.stop(ANALYTICS_STOP_MS);
      if (lost) logger.warn({ records: lost }, 'analytics records not handed to Redis before exit (counted as dropped)');
      redis?.disconnect();
    },
  };
}
