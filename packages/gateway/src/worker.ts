import { hostname } from 'node:os';
import type { GatewayConfig } from '@tollgate/apidef';
import { ConfigFeed, ConfigStore, createRedisClient, RedisHealth, waitForReady, type ChangeMessage, type ConfigSnapshot } from '@tollgate/store';
import type { Logger } from 'pino';
import type { us_listen_socket } from 'uWebSockets.js';
import { closeListenSocket, createUwsFrontDoor, listen, type FrontDoorState } from './front-door/uws-front-door.js';
import { Registry } from 'prom-client';
import { createRateLimitMetrics } from './limits/limit-metrics.js';
import { Limiter } from './limits/limiter.js';
import { createPipelineDeps } from './pipeline/pipeline-deps.js';
import { UpstreamPools } from './proxy/upstream-pools.js';
import { ApiSet } from './routing/api-set.js';
import { VERSION } from './version.js';

/** How long a draining worker waits for requests in flight before it exits anyway. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * One data-plane worker: loads the configuration from Redis, keeps it current through the change feed,
 * serves traffic with uWS, and on SIGTERM (or the primary's "shutdown") stops accepting, finishes the
 * requests in flight, then exits.
 *
 * @example
 * await runWorker(config, logger);
 */
export async function runWorker(config: Readonly<GatewayConfig>, logger: Logger): Promise<void> {
  const redis = createRedisClient(config.storage, { name: 'tollgate:gateway' });
  const subscriber = createRedisClient(config.storage, { name: 'tollgate:gateway:sub', isSubscriber: true });
  redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error'));
  subscriber.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis subscriber error'));
  const metricsRegistry = new Registry();
  // Limits get their own connection: a short deadline and no offline queue, so a check never waits on a
  // dead Redis longer than rate_limit_storage_timeout_ms (the failure mode decides instead). No ioredis
  // auto-pipelining: LimitStore already gathers a loop turn's requests into one call per counter set and
  // sends at once (auto-pipelining would hold each call for one more turn).
  const limitRedis = createRedisClient(config.storage, {
    name: 'tollgate:gateway:limits', commandTimeoutMs: config.rate_limit_storage_timeout_ms, offlineQueue: false,
  });
  limitRedis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis (limits) error'));
  const limiter = new Limiter({
    redis: limitRedis, mode: config.rate_limit_failure_mode, logger, logIntervalMs: config.rate_limit_degraded_log_interval * 1000,
    metrics: createRateLimitMetrics(metricsRegistry),
  });
  const store = new ConfigStore(redis);
  const pools = new UpstreamPools({ timeoutSeconds: config.proxy_default_timeout });
  const apis = new ApiSet({
    pools, enableCustomDomains: Boolean(config.enable_custom_domains), hostname: config.hostname ?? '',
    strictRoutes: Boolean(config.http_server_options?.enable_strict_routes),
    pipelineDeps: createPipelineDeps({ config, logger, limiter }),
  }, logger);
  const health = new RedisHealth(redis, {
    intervalMs: (config.liveness_check?.check_duration ?? 10) * 1000, version: VERSION, description: 'Tyk GW',
  });
  const state: FrontDoorState = { table: apis.table(), isDraining: false, inFlight: 0 };
  let drained: (() => void) | undefined;
  const workerId = `${hostname()}:${process.pid}`;
  const feed = new ConfigFeed({
    store, subscriber, logger, workerId,
    handlers: {
      onSnapshot(snapshot: ConfigSnapshot): void {
        apis.replaceAll(snapshot.objects.get('api') ?? new Map());
        state.table = apis.table();
      },
      onChange(change: ChangeMessage, json: string | null): void {
        if (change.kind !== 'api') return;
        if (json === null) apis.delete(change.id);
        else apis.put(change.id, json);
        state.table = apis.table();
      },
    },
  });
  await feed.start();
  health.start();
  await waitForReady(limitRedis, Math.max(1000, (config.storage.timeout ?? 5) * 1000)).catch((err: Error) => {
    logger.warn({ err: err.message }, 'Redis for rate limits not ready yet: rate_limit_failure_mode decides until it is');
  });
  limiter.start();

  const hello = (): { status: number; body: string } => ({ status: 200, body: JSON.stringify(health.report()) });
  const ready = (): { status: number; body: string } => {
    if (state.isDraining) return { status: 503, body: JSON.stringify({ status: 'error', message: 'Gateway is shutting down' }) };
    if (!health.isRedisUp) return { status: 503, body: JSON.stringify({ status: 'error', message: 'Redis connection not available' }) };
    return { status: 200, body: JSON.stringify({ ...health.report(), description: 'Tyk GW Ready' }) };
  };
  const app = createUwsFrontDoor({
    state,
    listener: {
      onExchangeDone(): void {
        state.inFlight--;
        if (state.inFlight === 0 && drained) drained();
      },
    },
    userAgent: `tollgate/${VERSION}`,
    isTls: false,
    skipUrlCleaning: Boolean(config.http_server_options?.skip_url_cleaning),
    closeConnections: Boolean(config.close_connections),
    maxRequestBodySize: config.http_server_options?.max_request_body_size ?? 0,
    health: new Map([
      [`/${config.health_check_endpoint_name || 'hello'}`, hello],
      [`/${config.readiness_check_endpoint_name || 'ready'}`, ready],
    ]),
    onPipelineError(err, ctx): void {
      logger.error({ api_id: ctx.api.apiId, err: err instanceof Error ? err.stack : String(err) }, 'middleware failed; answered 500');
    },
  });
  const socket: us_listen_socket = await listen(app, config.listen_address ?? '', config.listen_port);
  logger.info({ port: config.listen_port, apis: state.table.size, revision: feed.revision }, 'gateway worker listening');

  const shutdown = async (): Promise<void> => {
    if (state.isDraining) return;
    state.isDraining = true;
    closeListenSocket(socket);
    logger.info({ inFlight: state.inFlight }, 'draining');
    await new Promise<void>((resolve) => {
      if (state.inFlight === 0) return resolve();
      drained = resolve;
      setTimeout(resolve, DRAIN_TIMEOUT_MS).unref();
    });
    (app as unknown as { close(): void }).close(); // present at run time, missing from the typings
    health.stop();
    await feed.stop().catch(() => undefined);
    apis.releaseAll();
    await pools.closeAll();
    limiter.stop();
    redis.disconnect();
    subscriber.disconnect();
    limitRedis.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.on('message', (msg) => {
    if (msg === 'shutdown') void shutdown();
  });
}
