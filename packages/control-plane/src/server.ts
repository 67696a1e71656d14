import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_API_ENDPOINT, CertificateStore, certificateSecret, ConfigStore, createRedisClient, RedisHealth, ResponseCache, SessionStore, type RedisClient } from '@tollgate/store';
import type { GatewayConfig } from '@tollgate/apidef';
import type { Logger } from 'pino';
import { createAdminSecretCheck } from './admin-auth.js';
import { adminApiUrl } from './advertised-url.js';
import { ApiRegistry } from './api-registry.js';
import { decodeSegment, sendJson, sendStatus, sendText } from './http-reply.js';
import { BodyTooLargeError } from './read-body.js';
import { createControlPlaneMetrics } from './metrics.js';
import { handleAnalytics, type AnalyticsReader } from './routes/analytics.js';
import { startCertificateExpiryJob } from './jobs/cert-expiry.js';
import { certificateEvents } from './jobs/certificate-events.js';
import { startUptimeJob } from './jobs/uptime-job.js';
import { queueApiEvent, startWebhookDelivery, type WebhookDelivery } from './jobs/webhook-delivery.js';
import { KeyContext } from './keys/key-context.js';
import { PolicyRegistry } from './policy-registry.js';
import { handleApis } from './routes/apis.js';
import { handleCerts } from './routes/certs.js';
import { handleKeys } from './routes/keys.js';
import { handlePolicies } from './routes/policies.js';
import { handleReload } from './routes/reload.js';

export const VERSION = '0.1.0';

/** Endpoints Tyk has that tollgate does not serve yet: answered 501 rather than 404 (gateway-api.md §2). */
const NOT_IMPLEMENTED = /^\/tyk\/(cache|org|oauth|apis\/oas|mcps|debug|schema|health)(\/|$)/;

/** Key names travel in admin URLs; logs get the path with them cut out. */
export function redactKeyPath(path: string): string {
  return path.replace(/^(\/tyk\/keys\/(?:policy\/)?)[^?]+/, '$1<redacted>').replace(/\?.*$/, '');
}

const ROUTE_GROUPS = /^\/(tyk\/(?:apis|keys|policies|certs|reload|cache|org|oauth)|tollgate\/analytics\/(?:tags|apis|keys|status_codes|errors|endpoints)|hello|ready|metrics)(?:[/?]|$)/;

/** Bounded label for metrics: a fixed list of route groups, never ids. */
function routeGroup(url: string | undefined): string {
  const m = ROUTE_GROUPS.exec(url ?? '');
  return m ? m[1]! : 'other';
}

export interface ControlPlaneOptions {
  readonly config: Readonly<GatewayConfig>;
  readonly redis: RedisClient;
  readonly logger: Logger;
  /** Reads analytics aggregates for `/tollgate/analytics/...` (the CLI injects `tollgate analytics`' reader); 501 without. */
  readonly analytics?: AnalyticsReader;
}

export interface ControlPlane {
  readonly registry: ApiRegistry;
  readonly policies: PolicyRegistry;
  readonly store: ConfigStore;
  readonly certs: CertificateStore;
  listen(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The admin REST API (Tyk Gateway API compatible) on `control_api_port`: the only writer of configuration.
 *
 * @example
 * const cp = createControlPlane({ config, redis, logger });
 * await cp.registry.loadDirectory(config.app_path, logger);
 * await cp.listen();
 */
export function createControlPlane(options: ControlPlaneOptions): ControlPlane {
  const { config, redis, logger } = options;
  const store = new ConfigStore(redis);
  const registry = new ApiRegistry(store, { enableCustomDomains: Boolean(config.enable_custom_domains) });
  const policies = new PolicyRegistry(store, config.policies);
  const sessionStore = new SessionStore(redis);
  const keys = new KeyContext(config, sessionStore, store, registry, policies);
  const certs = new CertificateStore(store, { secret: certificateSecret(config) });
  const isAdmin = createAdminSecretCheck(config.secret);
  const responseCache = new ResponseCache(redis);
  let expiryJob: { close(): Promise<void> } | undefined;
  let uptimeJob: Promise<{ close(): Promise<void> }> | undefined;
  let delivery: WebhookDelivery | undefined;
  const queueRedis = [createRedisClient(config.storage, { name: 'tollgate:cp:queue', isQueue: true }),
    createRedisClient(config.storage, { name: 'tollgate:cp:queue-worker', isQueue: true })] as const;
  for (const r of queueRedis) r.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error (jobs)'));
  const health = new RedisHealth(redis, {
    intervalMs: (config.liveness_check?.check_duration ?? 10) * 1000, version: VERSION, description: 'tollgate control plane',
  });
  const metrics = createControlPlaneMetrics({ revision: () => store.revision(), isRedisUp: () => health.isRedisUp });
  const helloPath = `/${config.health_check_endpoint_name || 'hello'}`;
  const readyPath = `/${config.readiness_check_endpoint_name || 'ready'}`;

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://control-plane');
    // Tyk removes trailing slashes before routing (/tyk/keys/ = /tyk/keys).
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    if (decodeSegment(path) === undefined) return sendText(res, 400, '400 Bad Request: malformed escape in path');
    if (path === helloPath || path === readyPath) {
      if (req.method !== 'GET') return sendStatus(res, 405, 'Method Not Allowed');
      const report = health.report();
      if (path === readyPath && !health.isRedisUp) return sendStatus(res, 503, 'Redis connection not available');
      return sendJson(res, 200, report);
    }
    if (path === '/metrics' && req.method === 'GET') {
      const text = await metrics.metrics();
      res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const isAnalytics = path.startsWith('/tollgate/analytics/');
    if (!path.startsWith('/tyk/') && path !== '/tyk' && !isAnalytics) return sendText(res, 404, '404 page not found');
    if (!isAdmin(req.headers['x-tyk-authorization'])) {
      logger.warn({ path: redactKeyPath(path), remote: req.socket.remoteAddress }, 'admin API call refused: invalid or missing secret');
      return sendStatus(res, 403, 'Attempted administrative access with invalid or missing key!');
    }
    if (isAnalytics) return handleAnalytics(options.analytics, path.slice('/tollgate/analytics/'.length), req.method ?? 'GET', url.searchParams, res);
    const apis = /^\/tyk\/apis(?:\/([^/]+))?$/.exec(path);
    if (apis) return handleApis(registry, req, res, apis[1] === undefined ? undefined : decodeURIComponent(apis[1]));
    if (path === '/tyk/keys' || path.startsWith('/tyk/keys/')) return handleKeys(keys, req, res, url, path, logger);
    const policy = /^\/tyk\/policies(?:\/([^/]+))?$/.exec(path);
    if (policy) return handlePolicies(policies, req, res, policy[1] === undefined ? undefined : decodeURIComponent(policy[1]), logger);
    const certPath = /^\/tyk\/certs(?:\/([^/]+))?$/.exec(path);
    if (certPath) {
      return handleCerts(certs, req, res, certPath[1] === undefined ? undefined : decodeURIComponent(certPath[1]), url.searchParams);
    }
    if (path === '/tyk/reload' || path === '/tyk/reload/group') {
      if (req.method !== 'GET') return sendStatus(res, 405, 'Method not supported');
      return handleReload(store, res, url.searchParams.get('block') === 'true');
    }
    // Every worker of every gateway empties its JWKS caches (of one API, or all) on the key-change channel.
    const jwksPath = /^\/tyk\/cache\/jwks(?:\/([^/]+))?$/.exec(path);
    if (jwksPath) {
      if (req.method !== 'DELETE') return sendStatus(res, 405, 'Method not supported');
      await sessionStore.flushJwks(jwksPath[1] === undefined ? '' : decodeURIComponent(jwksPath[1]));
      return sendStatus(res, 200, 'cache invalidated');
    }
    const cachePath = /^\/tyk\/cache\/([^/]+)$/.exec(path);
    if (cachePath) {
      if (req.method !== 'DELETE') return sendStatus(res, 405, 'Method not supported');
      await responseCache.invalidate(decodeURIComponent(cachePath[1]!));
      return sendStatus(res, 200, 'cache invalidated');
    }
    if (NOT_IMPLEMENTED.test(path)) return sendStatus(res, 501, 'Not implemented');
    return sendText(res, 404, '404 page not found');
  };

  const server: Server = createServer((req, res) => {
    res.on('finish', () => metrics.adminRequests.labels(routeGroup(req.url), String(res.statusCode)).inc());
    route(req, res).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError) return sendStatus(res, 413, err.message);
      logger.error({ err: (err as Error).message, path: redactKeyPath(req.url ?? '') }, 'admin API request failed');
      if (!res.headersSent) sendStatus(res, 500, 'Internal error; see the control plane log');
      else res.destroy();
    });
  });

  return {
    registry,
    policies,
    store,
    certs,
    listen: () => new Promise((resolve, reject) => {
      health.start();
      const events = startWebhookDelivery({ config, logger });
      delivery = events;
      uptimeJob = startUptimeJob({
        config, redis, logger, listApis: () => registry.list(),
        onTransition: (event, check) => {
          for (const apiId of check.apiIds) {
            registry.get(apiId).then((def) => def && queueApiEvent(events.queue, def, event, {
              message: event === 'HostDown' ? `host ${check.host} is down` : `host ${check.host} is up`, path: check.url, origin: '', key: '',
            }, logger)).catch((err: Error) => logger.warn({ err: err.message, event }, 'event not queued'));
          }
        },
      });
      uptimeJob.catch((err: Error) => logger.error({ err: err.message }, 'uptime checks not started'));
      const monitor = config.security?.certificate_expiry_monitor;
      startCertificateExpiryJob({
        certs, logger, queueConnection: queueRedis[0], workerConnection: queueRedis[1],
        thresholdDays: monitor?.warning_threshold_days ?? 30, intervalMs: (monitor?.check_interval_seconds ?? 3600) * 1000,
        onReport: async (report) => {
          for (const e of certificateEvents(report, await registry.list())) await queueApiEvent(events.queue, e.def, e.event, e.meta, logger);
        },
      }).then((job) => { expiryJob = job; }, (err: Error) => logger.error({ err: err.message }, 'certificate expiry job not started'));
      // Certificates a Tyk gateway left in this Redis (spec tls-and-certificates.md §6.3) are taken in.
      certs.importTykLayout(redis).then(({ imported, skipped }) => {
        if (imported.length > 0) logger.info({ ids: imported }, "certificates imported from Tyk's Redis layout (cert-raw-<id>)");
        for (const s of skipped) logger.warn({ id: s.id, reason: s.reason }, "certificate in Tyk's Redis layout not imported");
      }, (err: Error) => logger.warn({ err: err.message }, "could not look for certificates in Tyk's Redis layout"));
      server.once('error', reject);
      // control_api_port 0 (Tyk: the admin API shares the gateway port): this process takes any free port
      // and gateways with control_api_port 0 proxy /tyk/ to the address registered below.
      server.listen(config.control_api_port, config.listen_address || undefined, () => {
        const port = (server.address() as AddressInfo).port;
        const url = adminApiUrl(config, port);
        store.put('endpoint', ADMIN_API_ENDPOINT, JSON.stringify({ url })).then(() => {
          logger.info({ url }, 'admin API registered for gateways that serve /tyk/ on their own port');
          resolve(port);
        }, (err: Error) => {
          server.close();
          reject(new Error(`could not register the admin API address in Redis: ${err.message}`));
        });
      });
    }),
    close: async () => {
      health.stop();
      await uptimeJob?.then((job) => job.close(), () => undefined);
      await delivery?.close().catch(() => undefined);
      await expiryJob?.close().catch(() => undefined);
      for (const r of queueRedis) r.disconnect();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
