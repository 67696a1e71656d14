import { hostname } from 'node:os';
import type { GatewayConfig, SessionState } from '@tollgate/apidef';
import { ConfigFeed, ConfigStore, createRedisClient, HostHealthStore, RedisHealth, ResponseCache, SessionStore, type ChangeMessage, type ConfigSnapshot } from '@tollgate/store';
import type { Logger } from 'pino';
import type { us_listen_socket } from 'uWebSockets.js';
import { closeListenSocket, createUwsFrontDoor, listen, type FrontDoorState } from './front-door/uws-front-door.js';
import { createPipelineDeps } from './pipeline/pipeline-deps.js';
import { Queue } from 'bullmq';
import { EVENTS_QUEUE, GatewayEvents, JOBS_PREFIX } from './events/gateway-events.js';
import { HostHealthView } from './proxy/host-health-view.js';
import { ServiceDiscovery } from './proxy/service-discovery.js';
import { UpstreamPools } from './proxy/upstream-pools.js';
import { PolicyIndex } from './sessions/policy-index.js';
import { SessionCache } from './sessions/session-cache.js';
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
  const store = new ConfigStore(redis);
  const pools = new UpstreamPools({ timeoutSeconds: config.proxy_default_timeout });
  // Sessions for the auth middleware: cached per worker, evicted by the key-change channel; policies
  // come with the configuration feed and are applied when a session is read.
  const sessionStore = new SessionStore(redis);
  const policies = new PolicyIndex(logger);
  const sessions = new SessionCache({ store: sessionStore, subscriber, policies, logger });
  const sessionWriter = {
    save: (storageId: string, session: SessionState, ttlSeconds: number) => sessionStore.put(storageId, JSON.stringify(session), ttlSeconds),
  };
  const hostHealth = new HostHealthView(new HostHealthStore(redis), logger);
  const pipelineDeps = createPipelineDeps({ config, logger, responseCache: new ResponseCache(redis), auth: { sessions, sessionWriter, policies } });
  // The events queue gets its own connection, opened when the first event is raised.
  const events = new GatewayEvents(() => {
    const connection = createRedisClient(config.storage, { name: 'tollgate:gateway:events', isQueue: true });
    connection.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error (events)'));
    return new Queue(EVENTS_QUEUE, { connection, prefix: JOBS_PREFIX });
  }, pipelineDeps.clientIp, logger);
  const apis = new ApiSet({
    pools, hostHealth, discovery: new ServiceDiscovery(pools, logger), enableCustomDomains: Boolean(config.enable_custom_domains), hostname: config.hostname ?? '',
    strictRoutes: Boolean(config.http_server_options?.enable_strict_routes),
    pipelineDeps,
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
        policies.onSnapshot(snapshot);
        apis.replaceAll(snapshot.objects.get('api') ?? new Map());
        state.table = apis.table();
      },
      onChange(change: ChangeMessage, json: string | null): void {
        if (change.kind === 'policy') policies.onChange(change, json);
        if (change.kind !== 'api') return;
        if (json === null) apis.delete(change.id);
        else apis.put(change.id, json);
        state.table = apis.table();
      },
    },
  });
  await sessions.start();
  await feed.start();
  health.start();
  if (!config.uptime_tests.disable) hostHealth.start();

  const hello = (): { status: number; body: string } => ({ status: 200, body: JSON.stringify(health.report()) });
  const ready = (): { status: number; body: string } => {
    if (state.isDraining) return { status: 503, body: JSON.stringify({ status: 'error', message: 'Gateway is shutting down' }) };
    if (!health.isRedisUp) return { status: 503, body: JSON.stringify({ status: 'error', message: 'Redis connection not available' }) };
    return { status: 200, body: JSON.stringify({ ...health.report(), description: 'Tyk GW Ready' }) };
  };
  const app = createUwsFrontDoor({
    state,
    listener: {
      onExchangeDone(exchange): void {
        state.inFlight--;
        events.onExchangeDone(exchange.ctx);
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
    hostHealth.stop();
    await events.close().catch(() => undefined);
    await feed.stop().catch(() => undefined);
    await sessions.stop().catch(() => undefined);
    apis.releaseAll();
    await pools.closeAll();
    redis.disconnect();
    subscriber.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.on('message', (msg) => {
    if (msg === 'shutdown') void shutdown();
  });
}
