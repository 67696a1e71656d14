import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { ConfigError, loadConfig, type GatewayConfig } from '@tollgate/apidef';
import type { Logger } from 'pino';
import { createLogger, loadConfigOrExit } from '../config-loading.js';
import { startDemoUpstream } from '../demo-upstream.js';
import { hasRedisServer, redisAnswers, startPrivateRedis } from '../private-redis.js';
import { startAnalytics } from './analytics.js';
import { startControlPlane } from './control-plane.js';
import { startGateway } from './gateway.js';
import { waitUntil } from '../wait-until.js';

export interface UpOptions {
  readonly configFile: string | undefined;
  readonly workers: number;
  readonly demoPort: number;
}

/**
 * The whole stack in one process tree, for a laptop and the demo: Redis (the configured one, or a private
 * redis-server when none answers), the control plane, a gateway node, a demo upstream and a keyless demo API.
 */
export async function up(options: UpOptions): Promise<void> {
  const demo = analyticsDefault(options.configFile);
  let config = loadUpConfig(options.configFile, demo);
  const boot = createLogger(config, 'tollgate-up');
  let redisProcess: ChildProcess | undefined;
  if (!(await redisAnswers(config.storage, 1500))) {
    if (!hasRedisServer()) {
      process.stderr.write(
        `tollgate up: no Redis answers at ${config.storage.host}:${config.storage.port} and redis-server is not installed.\n` +
        'Start one (e.g. `apt-get install redis-server` or `docker run -p 6379:6379 redis`) or set storage.host/storage.port in tollgate.json.\n',
      );
      process.exit(1);
    }
    const redis = await startPrivateRedis();
    redisProcess = redis.process;
    boot.warn({ port: redis.port }, `no Redis at ${config.storage.host}:${config.storage.port}; started a private redis-server for the demo`);
    config = loadUpConfig(options.configFile, { ...demo, 'storage.host': '127.0.0.1', 'storage.port': redis.port, secret: config.secret });
  }
  const logger = createLogger(config, 'tollgate');
  const upstream = await startDemoUpstream(options.demoPort);
  const controlPlane = await startControlPlane(config, logger);
  await ensureDemoApi(controlPlane.registry, upstream.port, logger);
  const gateway = await startGateway(config, options.workers, logger);
  const analytics = await startAnalytics(config, logger.child({ process: 'analytics' }), { metricsPort: ANALYTICS_METRICS_PORT, intervalMs: 500 });
  await waitForGateway(config);
  printUrls(config, controlPlane.port, analytics.metricsPort);

  const stop = async (): Promise<void> => {
    await gateway.shutdown();
    await analytics.close();
    await controlPlane.close();
    upstream.server.close();
    redisProcess?.kill();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

/** The demo records analytics unless the file or the environment says otherwise. */
function analyticsDefault(file: string | undefined): Record<string, unknown> {
  if (process.env.TOLLGATE_ENABLE_ANALYTICS !== undefined || process.env.TYK_GW_ENABLEANALYTICS !== undefined) return {};
  try {
    if (file !== undefined && 'enable_analytics' in (JSON.parse(readFileSync(file, 'utf8')) as object)) return {};
  } catch {
    return {}; // unreadable: loadConfig reports it with the file name
  }
  return { enable_analytics: true };
}

/** `up` generates an admin secret when none is configured, and prints it. */
function loadUpConfig(file: string | undefined, overrides: Record<string, unknown>): Readonly<GatewayConfig> {
  try {
    return loadConfig({ file, env: process.env, overrides });
  } catch (err) {
    const isSecretMissing = err instanceof ConfigError && /secret/.test(err.message) && overrides.secret === undefined;
    // Any other bad value: reported, with the key named, by the same path as every command.
    return loadConfigOrExit(file, isSecretMissing ? { ...overrides, secret: randomBytes(16).toString('hex') } : overrides);
  }
}

async function ensureDemoApi(
  registry: { get(id: string): Promise<unknown>; create(body: Record<string, unknown>): Promise<{ ok: boolean }> },
  upstreamPort: number, logger: Logger,
): Promise<void> {
  if (await registry.get('demo')) return;
  const result = await registry.create({
    api_id: 'demo', name: 'Demo API', org_id: 'default', use_keyless: true, active: true,
    proxy: { listen_path: '/demo/', target_url: `http://127.0.0.1:${upstreamPort}/`, strip_listen_path: true },
    version_data: { not_versioned: true, versions: { Default: { name: 'Default' } } },
  });
  if (!result.ok) logger.error({ result }, 'demo API not created');
}

async function waitForGateway(config: Readonly<GatewayConfig>): Promise<void> {
  const url = `http://127.0.0.1:${config.listen_port}/${config.health_check_endpoint_name || 'hello'}`;
  const answers = (): Promise<boolean> => fetch(url).then((res) => res.ok, () => false);
  if (await waitUntil(answers, 20_000)) return;
  throw new Error(`gateway did not answer ${url} within 20 s`);
}

/** `up` runs the analytics consumer in-process; its `/metrics` is on this port (skipped if taken). */
const ANALYTICS_METRICS_PORT = 9092;

function printUrls(config: Readonly<GatewayConfig>, controlPlanePort: number, analyticsMetricsPort: number): void {
  const gw = `http://127.0.0.1:${config.listen_port}`;
  const cp = `http://127.0.0.1:${controlPlanePort}`;
  // control_api_port 0: the admin API is on the gateway port, as in Tyk (the gateway proxies /tyk/ to `cp`).
  const admin = config.control_api_port === 0 ? gw : cp;
  process.stdout.write([
    '',
    'Tollgate is up.',
    `  Demo API (keyless):  curl ${gw}/demo/hello`,
    `  Gateway health:      curl ${gw}/hello`,
    `  Admin API:           curl -H 'x-tyk-authorization: ${config.secret}' ${admin}/tyk/apis`,
    `  Analytics by tag:    curl -H 'x-tyk-authorization: ${config.secret}' ${cp}/tollgate/analytics/tags`,
    ...(config.metrics_port > 0 ? [`  Gateway metrics:     curl http://127.0.0.1:${config.metrics_port}/metrics`] : []),
    `  Control plane:       curl ${cp}/metrics`,
    ...(analyticsMetricsPort > 0 ? [`  Analytics metrics:   curl http://127.0.0.1:${analyticsMetricsPort}/metrics`] : []),
    '  Stop with Ctrl-C.',
    '',
  ].join('\n'));
}
