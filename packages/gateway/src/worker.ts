import { hostname } from 'node:os';
import { readOverrideMessages, type GatewayConfig, type SessionState } from '@tollgate/apidef';
import { ADMIN_API_ENDPOINT, certificateSecret, ConfigFeed, ConfigStore, createRedisClient, HostHealthStore, RedisHealth, ResponseCache, SessionStore, waitForReady, type ChangeMessage, type ConfigSnapshot } from '@tollgate/store';
import type { Logger } from 'pino';
import type { us_listen_socket } from 'uWebSockets.js';
import { applyOverrideMessages } from './errors.js';
import { chooseFrontDoor } from './front-door/choose-front-door.js';
import { HANDOVER, mutualTlsApiIds, switchesForMutualTls, type MutualTlsApisMessage } from './front-door/front-door-handover.js';
import { NodeTlsFrontDoor } from './front-door/node-front-door.js';
import { closeListenSocket, createUwsFrontDoor, listen, type FrontDoorOptions, type FrontDoorState } from './front-door/uws-front-door.js';
import { UwsTlsListener } from './front-door/uws-tls-listener.js';
import { createExchangeObservers } from './observers.js';
import { Registry } from 'prom-client';
import { createRateLimitMetrics } from './limits/limit-metrics.js';
import { Limiter } from './limits/limiter.js';
import { createPipelineDeps } from './pipeline/pipeline-deps.js';
import { trustedProxies } from './pipeline/client-ip.js';
import { Queue } from 'bullmq';
import { EVENTS_QUEUE, GatewayEvents, JOBS_PREFIX } from './events/gateway-events.js';
import { HostHealthView } from './proxy/host-health-view.js';
import type { RequestContext } from './pipeline/request-context.js';
import { showGeneratorHeader } from './proxy/write-reply.js';
import { dropUpstreamRateLimitHeaders } from './proxy/response-headers.js';
import { setGatewayErrorOverrides } from './proxy/error-overrides.js';
import { ServiceDiscovery } from './proxy/service-discovery.js';
import { UpstreamPools } from './proxy/upstream-pools.js';
import { UpgradeTunnel } from './proxy/upgrade-tunnel.js';
import { WebSocketExchange } from './proxy/websocket-exchange.js';
import { PolicyIndex } from './sessions/policy-index.js';
import { SessionCache } from './sessions/session-cache.js';
import { JwksSets } from './auth/jwks-sets.js';
import { registeredAdminUrl } from './routing/admin-api-route.js';
import { ApiSet } from './routing/api-set.js';
import { CertificateRegistry } from './tls/certificate-registry.js';
import { clientCertPolicies } from './tls/client-cert-policy.js';
import { loadCertificateFiles, ServerCertificateSet } from './tls/server-certificates.js';
import { upstreamTlsSpec, type UpstreamTlsContext } from './tls/upstream-tls.js';
import { loadSystemRoots } from './tls/system-roots.js';
import { VERSION } from './version.js';

/** How long a draining worker waits for requests in flight before it exits anyway. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * One data-plane worker: loads the configuration and certificates from Redis, keeps them current through
 * the change feed, serves traffic on the front door the configuration needs (uWS, uWS TLS or node:tls),
 * and on SIGTERM (or the primary's "shutdown") stops accepting, finishes the requests in flight, then exits.
 *
 * @example
 * await runWorker(config, logger);
 */
export async function runWorker(config: Readonly<GatewayConfig>, logger: Logger): Promise<void> {
  // Before anything builds a middleware: the error catalogue with tyk.conf override_messages (validated at load).
  applyOverrideMessages(readOverrideMessages(config.override_messages, 'override_messages'));
  // Hidden by default (tollgate); an explicit `hide_generator_header: false` sends it as Tyk does.
  showGeneratorHeader(config.hide_generator_header === false);
  dropUpstreamRateLimitHeaders(config.rate_limit_response_headers === 'rate_limits');
  // Before any API is compiled: each API's error overrides end with the gateway's (validated at load).
  setGatewayErrorOverrides(config.error_overrides);
  const choice = chooseFrontDoor(config);
  for (const warning of choice.warnings) logger.warn(warning);
  if (choice.kind === 'node-tls') {
    logger.warn({ front_door: choice.kind, because: choice.reasons }, 'TLS served by the node:tls front door (uWS cannot honour these options; slower)');
  }
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
  const registry = new CertificateRegistry(certificateSecret(config), logger);
  const roots = loadSystemRoots(process.env);
  logger.debug({ file: roots.file ?? "Node's bundled roots", certificates: roots.certificates?.length }, 'upstream trust store');
  const tlsContext: UpstreamTlsContext = { config, registry, logger, trustedRoots: roots.certificates, env: process.env };
  const pools = new UpstreamPools({ timeoutSeconds: config.proxy_default_timeout });
  // Sessions for the auth middleware: cached per worker, evicted by the key-change channel; policies
  // come with the configuration feed and are applied when a session is read.
  const sessionStore = new SessionStore(redis);
  const policies = new PolicyIndex(logger);
  // JWKS caches are emptied through the same channel (DELETE /tyk/cache/jwks[/{apiID}]).
  const jwks = new JwksSets();
  const sessions = new SessionCache({
    store: sessionStore, subscriber, policies, logger, disabled: config.local_session_cache.disable_cached_session_state,
    onJwksFlush: (apiId) => {
      const dropped = jwks.flush(apiId);
      logger.info({ api_id: apiId === '' ? undefined : apiId, dropped }, 'JWKS cache emptied');
    },
  });
  const sessionWriter = {
    save: (storageId: string, session: SessionState, ttlSeconds: number) => sessionStore.put(storageId, JSON.stringify(session), ttlSeconds),
  };
  const hostHealth = new HostHealthView(new HostHealthStore(redis), logger);
  const pipelineDeps = createPipelineDeps({
    config, logger, limiter, certificates: registry, responseCache: new ResponseCache(redis), auth: { sessions, sessionWriter, policies }, jwks,
  });
  // The events queue gets its own connection, opened when the first event is raised.
  const events = new GatewayEvents(() => {
    const connection = createRedisClient(config.storage, { name: 'tollgate:gateway:events', isQueue: true });
    connection.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error (events)'));
    return new Queue(EVENTS_QUEUE, { connection, prefix: JOBS_PREFIX });
  }, pipelineDeps.clientIp, logger);
  const observers = createExchangeObservers({
    config, logger, workerId: `${hostname()}:${process.pid}`, clientIp: pipelineDeps.clientIp, registry: metricsRegistry,
  });
  const apis = new ApiSet({
    pools, hostHealth, discovery: new ServiceDiscovery(pools, logger), enableCustomDomains: Boolean(config.enable_custom_domains), hostname: config.hostname ?? '',
    strictRoutes: Boolean(config.http_server_options?.enable_strict_routes),
    pipelineDeps,
    upstreamTls: (def, url) => {
      const spec = upstreamTlsSpec(def, url, tlsContext);
      return url.protocol === 'https:' || spec.proxyUrl !== '' ? spec : null;
    },
  }, logger);
  const health = new RedisHealth(redis, {
    intervalMs: (config.liveness_check?.check_duration ?? 10) * 1000, version: VERSION, description: 'Tyk GW',
  });
  const state: FrontDoorState = { table: apis.table(), isDraining: false, inFlight: 0 };
  let drained: (() => void) | undefined;

  const hello = (): { status: number; body: string } => ({ status: 200, body: JSON.stringify(health.report()) });
  const ready = (): { status: number; body: string } => {
    if (state.isDraining) return { status: 503, body: JSON.stringify({ status: 'error', message: 'Gateway is shutting down' }) };
    if (!health.isRedisUp) return { status: 503, body: JSON.stringify({ status: 'error', message: 'Redis connection not available' }) };
    return { status: 200, body: JSON.stringify({ ...health.report(), description: 'Tyk GW Ready' }) };
  };
  const frontDoorOptions: FrontDoorOptions = {
    state,
    listener: {
      onExchangeDone(exchange: { readonly ctx: RequestContext }): void {
        state.inFlight--;
        const ctx = exchange.ctx;
        observers.exchangeDone(ctx);
        if (ctx.errorDetail !== '') {
          // errors-and-flags.md §4: the detail goes to the log, never to the client.
          logger.warn({ api_id: ctx.api.apiId, status: ctx.status, flag: ctx.flag, error: ctx.errorDetail, target: ctx.target?.origin ?? '' }, 'upstream error');
        }
        events.onExchangeDone(ctx);
        if (state.inFlight === 0 && drained) drained();
      },
    },
    userAgent: `tollgate/${VERSION}`,
    skipUrlCleaning: Boolean(config.http_server_options?.skip_url_cleaning),
    closeConnections: Boolean(config.close_connections),
    maxRequestBodySize: config.http_server_options?.max_request_body_size ?? 0,
    webSockets: Boolean(config.http_server_options?.enable_websockets),
    trustsForwardedHeaders: trustedProxies(config),
    health: new Map([
      [`/${config.health_check_endpoint_name || 'hello'}`, hello],
      [`/${config.readiness_check_endpoint_name || 'ready'}`, ready],
    ]),
    onPipelineError(err, ctx): void {
      logger.error({ api_id: ctx.api.apiId, err: err instanceof Error ? err.stack : String(err) }, 'middleware failed; answered 500');
    },
  };

  const certificateFiles = choice.kind === 'http' ? [] : loadCertificateFiles(config, registry, logger);
  const uwsTls = choice.kind === 'uws-tls' ? new UwsTlsListener(frontDoorOptions, logger) : null;
  const nodeTls = choice.kind === 'node-tls'
    ? new NodeTlsFrontDoor(frontDoorOptions, {
      minVersion: choice.minVersion, maxVersion: choice.maxVersion, ciphers: choice.ciphers, logger, onRejected: observers.handshakeRejected,
    })
    : null;
  /** Certificates by SNI and client-certificate policies follow the APIs and the store (spec §2, §4-5). */
  const refreshTls = (): void => {
    if (choice.kind === 'http') return;
    const definitions = apis.definitions();
    const set = ServerCertificateSet.build({ config, apis: definitions, registry, logger, files: certificateFiles });
    uwsTls?.update(set).catch((err: Error) => logger.error({ err: err.message }, 'TLS listener not updated'));
    nodeTls?.update(set, clientCertPolicies({ apis: definitions, config, registry }));
  };
  /** Whether the TLS front door has its certificates (the uWS one gets them when it starts listening). */
  let hasTlsContexts = false;
  const movesForMutualTls = process.send !== undefined && switchesForMutualTls(config);
  /**
   * A uWS TLS worker cannot serve mutual TLS: it tells the primary about such APIs, which moves the node to
   * node:tls (primary.ts handover). Sent on every API change while there are any; the primary acts once.
   */
  const announceMutualTls = (): void => {
    if (!movesForMutualTls) return;
    const ids = mutualTlsApiIds(apis.definitions());
    if (ids.length > 0) process.send!({ type: HANDOVER.mutualTlsApis, apis: ids } satisfies MutualTlsApisMessage);
  };
  /** control_api_port 0: `/tyk/` on this port goes to the admin API the control plane registered (gateway-api.md §1). */
  const routeAdminApi = (json: string | null | undefined): void => {
    if (config.control_api_port !== 0) return;
    const url = registeredAdminUrl(json);
    if (url === null && json != null) logger.warn({ endpoint: json }, 'registered admin API address is malformed; /tyk/ not routed');
    apis.setAdminApi(url, config.control_api_hostname);
  };

  const workerId = `${hostname()}:${process.pid}`;
  const feed = new ConfigFeed({
    store, subscriber, logger, workerId,
    handlers: {
      onSnapshot(snapshot: ConfigSnapshot): void {
        policies.onSnapshot(snapshot);
        const certsChanged = registry.replaceAll(snapshot.objects.get('cert') ?? new Map());
        apis.replaceAll(snapshot.objects.get('api') ?? new Map());
        routeAdminApi(snapshot.objects.get('endpoint')?.get(ADMIN_API_ENDPOINT));
        if (certsChanged) apis.recompileAll();
        state.table = apis.table();
        announceMutualTls();
        if (hasTlsContexts) refreshTls();
      },
      onChange(change: ChangeMessage, json: string | null): void {
        if (change.kind === 'cert') {
          const changed = json === null ? registry.delete(change.id) : registry.put(change.id, json);
          if (!changed) return;
          apis.recompileAll();
        } else if (change.kind === 'policy') {
          policies.onChange(change, json);
          return;
        } else if (change.kind === 'api') {
          if (json === null) apis.delete(change.id);
          else apis.put(change.id, json);
          announceMutualTls();
        } else if (change.kind === 'endpoint' && change.id === ADMIN_API_ENDPOINT) {
          routeAdminApi(json);
        } else {
          return;
        }
        state.table = apis.table();
        if (hasTlsContexts) refreshTls();
      },
    },
  });
  await sessions.start();
  await feed.start();
  health.start();
  observers.sources.configRevision = () => feed.revision;
  observers.sources.isRedisUp = () => health.isRedisUp;
  if (!config.uptime_tests.disable) hostHealth.start();
  await waitForReady(limitRedis, Math.max(1000, (config.storage.timeout ?? 5) * 1000)).catch((err: Error) => {
    logger.warn({ err: err.message }, 'Redis for rate limits not ready yet: rate_limit_failure_mode decides until it is');
  });
  limiter.start();

  const address = config.listen_address ?? '';
  const port = config.listen_port;
  let plainSocket: us_listen_socket | null = null;
  const plainApp = choice.kind === 'http' ? createUwsFrontDoor(frontDoorOptions) : null;
  const initialSet = (): ServerCertificateSet =>
    ServerCertificateSet.build({ config, apis: apis.definitions(), registry, logger, files: certificateFiles });
  if (nodeTls !== null) {
    nodeTls.update(initialSet(), clientCertPolicies({ apis: apis.definitions(), config, registry }));
    hasTlsContexts = true;
  }
  // A worker of a front-door handover loads everything, then listens once the old workers stopped accepting
  // (with its TLS contexts ready, which the change feed keeps current meanwhile: the window stays short).
  if (process.env[HANDOVER.holdEnv] === '1' && process.send !== undefined) await waitToListen(logger);
  // From here until the drain handler below is in place, a "shutdown" from the primary is remembered.
  let isShutdownAsked = false;
  const rememberShutdown = (msg: unknown): void => { if (msg === 'shutdown') isShutdownAsked = true; };
  process.on('message', rememberShutdown);
  if (plainApp !== null) plainSocket = await listen(plainApp, address, port);
  if (uwsTls !== null) await uwsTls.start(initialSet(), address, port);
  if (nodeTls !== null) await nodeTls.listen(address, port);
  hasTlsContexts = true;
  logger.info({
    port, apis: state.table.size, revision: feed.revision, front_door: choice.kind, ...(choice.reasons.length > 0 ? { because: choice.reasons } : {}),
  }, 'gateway worker listening');

  const shutdown = async (): Promise<void> => {
    if (state.isDraining) return;
    state.isDraining = true;
    if (plainSocket !== null) closeListenSocket(plainSocket);
    uwsTls?.stopAccepting();
    nodeTls?.stopAccepting();
    process.send?.({ type: HANDOVER.stoppedAccepting });
    WebSocketExchange.closeAll();
    UpgradeTunnel.closeAll();
    logger.info({ inFlight: state.inFlight }, 'draining');
    await new Promise<void>((resolve) => {
      if (state.inFlight === 0) return resolve();
      drained = resolve;
      setTimeout(resolve, DRAIN_TIMEOUT_MS).unref();
    });
    // close() is present at run time, missing from the typings.
    for (const app of [plainApp, ...(uwsTls?.apps ?? [])]) if (app !== null) (app as unknown as { close(): void }).close();
    nodeTls?.closeAll();
    uwsTls?.dispose();
    health.stop();
    await observers.stop();
    hostHealth.stop();
    await events.close().catch(() => undefined);
    await feed.stop().catch(() => undefined);
    await sessions.stop().catch(() => undefined);
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
  process.off('message', rememberShutdown);
  if (isShutdownAsked) void shutdown();
}

/** Held worker of a handover: reports it is loaded and waits for the primary's `listen` (a `shutdown` ends it). */
function waitToListen(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (msg: unknown): void => {
      if (msg === 'shutdown') process.exit(0);
      if (msg !== HANDOVER.listen) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    logger.info('loaded; waiting for the old workers to stop accepting');
    process.send!({ type: HANDOVER.readyToListen });
  });
}
