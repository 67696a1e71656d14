// Tollgate under test: a private redis, a control plane that loads one keyless API from app_path,
// and a gateway with N workers. All state lives in a temp dir and dies with the run.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitFor200 } from "./net.js";
import { startChild, stopChild, type Child } from "./processes.js";
import { createCredentials, writeAuthApis, type AuthFixtures } from "./auth-apis.js";
import { createLimitedKey, writeLimitedApi } from "./limits-api.js";

export const LISTEN_PATH = "/bench/";

export interface TollgateCluster {
  configFile: string;
  listenPort: number;
  controlUrl: string;
  secret: string;
  /** The private Redis (INFO commandstats for the rate-limited row). */
  redisPort: number;
  /** wrk headers of the authenticated rows (auth-apis.ts). */
  auth: AuthFixtures;
  /** wrk header of the key with a rate limit and a quota (limits-api.ts). */
  limitedKeyHeader: string;
  /** A second configuration: the same cluster with `use_ssl` and the benchmark certificate. */
  tlsConfigFile: string;
  tlsListenPort: number;
  /**
   * The plain configuration with `enable_analytics` on and ports of its own: the analytics-on gateway runs
   * beside the plain one, and the pairs alternate between them.
   */
  analyticsConfigFile: string;
  analyticsListenPort: number;
  children: Child[];
}

export function cliPath(repoRoot: string): string {
  const cli = join(repoRoot, "packages/cli/dist/main.js");
  if (!existsSync(cli)) {
    throw new Error(`${cli} does not exist yet: build the gateway first (npx pnpm@10.34.9 build), or run with --only direct,nginx`);
  }
  return cli;
}

/** Starts redis and the control plane; the gateway is started per worker count by startGateway. */
export async function startControlPlane(
  repoRoot: string, redisBin: string, dir: string, upstreamPort: number, tls: { cert: string; key: string },
): Promise<TollgateCluster> {
  const cli = cliPath(repoRoot);
  mkdirSync(join(dir, "apps"), { recursive: true });
  const redisPort = await freePort();
  const redis = startChild("redis", redisBin, ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], join(dir, "redis.log"));
  const [listenPort, controlPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const configFile = join(dir, "tollgate.json");
  const { policyPath, jwtSecret } = writeAuthApis(dir, upstreamPort);
  const config = gatewayConfig(dir, listenPort, controlPort, metricsPort, redisPort, policyPath);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const tlsListenPort = await freePort();
  const tlsConfigFile = join(dir, "tollgate-tls.json");
  writeFileSync(tlsConfigFile, JSON.stringify({
    ...config, listen_port: tlsListenPort,
    http_server_options: { use_ssl: true, certificates: [{ domain_name: "127.0.0.1", cert_file: tls.cert, key_file: tls.key }] },
  }, null, 2));
  const [analyticsListenPort, analyticsMetricsPort] = [await freePort(), await freePort()];
  const analyticsConfigFile = join(dir, "tollgate-analytics.json");
  writeFileSync(analyticsConfigFile, JSON.stringify({
    ...config, listen_port: analyticsListenPort, metrics_port: analyticsMetricsPort, enable_analytics: true,
  }, null, 2));
  writeFileSync(join(dir, "apps", "bench.json"), JSON.stringify(keylessApi(upstreamPort), null, 2));
  writeLimitedApi(dir, upstreamPort);
  const control = startChild("control-plane", process.execPath, [cli, "control-plane", "--config", configFile], join(dir, "control-plane.log"), repoRoot);
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  try {
    await waitFor200(`${controlUrl}/hello`, control, 20_000);
    const auth = await createCredentials(controlUrl, config.secret, jwtSecret);
    const limitedKeyHeader = await createLimitedKey(controlUrl, config.secret);
    return {
      configFile, analyticsConfigFile, analyticsListenPort, listenPort, redisPort, limitedKeyHeader, tlsConfigFile, tlsListenPort, controlUrl, secret: config.secret, auth,
      children: [redis, control],
    };
  } catch (err) {
    await stopChild(control);
    await stopChild(redis);
    throw err;
  }
}

export async function startGateway(repoRoot: string, dir: string, cluster: TollgateCluster, workers: number, isTls = false, withAnalytics = false): Promise<Child> {
  const config = isTls ? cluster.tlsConfigFile : withAnalytics ? cluster.analyticsConfigFile : cluster.configFile;
  const args = [cliPath(repoRoot), "gateway", "--config", config, "--workers", String(workers)];
  const kind = isTls ? "tls-" : withAnalytics ? "analytics-" : "";
  const gateway = startChild(`gateway ${kind}x${workers}`, process.execPath, args, join(dir, `gateway-${kind}${workers}.log`), repoRoot);
  try {
    const url = gatewayBaseUrl(cluster, isTls, withAnalytics);
    await waitFor200(`${url}${LISTEN_PATH}`, gateway, 20_000);
  } catch (err) {
    await stopChild(gateway);
    throw err;
  }
  return gateway;
}

/** Where a gateway started by `startGateway` with these flags listens. */
export function gatewayBaseUrl(cluster: TollgateCluster, isTls: boolean, withAnalytics: boolean): string {
  if (isTls) return `https://127.0.0.1:${cluster.tlsListenPort}`;
  return `http://127.0.0.1:${withAnalytics ? cluster.analyticsListenPort : cluster.listenPort}`;
}

/** `tollgate analytics` consuming the records of the analytics-on rows while they run. */
export function startAnalyticsConsumer(repoRoot: string, dir: string, cluster: TollgateCluster): Child {
  const args = [cliPath(repoRoot), "analytics", "--config", cluster.analyticsConfigFile, "--metrics-port", "0"];
  return startChild("analytics", process.execPath, args, join(dir, "analytics.log"), repoRoot);
}

function gatewayConfig(dir: string, listenPort: number, controlPort: number, metricsPort: number, redisPort: number, policyPath: string) {
  return {
    listen_port: listenPort,
    control_api_port: controlPort,
    metrics_port: metricsPort,
    secret: randomBytes(16).toString("hex"),
    app_path: join(dir, "apps"),
    storage: { host: "127.0.0.1", port: redisPort },
    policies: { policy_source: "file", policy_path: policyPath },
  };
}

function keylessApi(upstreamPort: number) {
  return {
    api_id: "bench",
    name: "bench",
    org_id: "bench",
    use_keyless: true,
    active: true,
    proxy: { listen_path: LISTEN_PATH, target_url: `http://127.0.0.1:${upstreamPort}/`, strip_listen_path: true },
    version_data: { not_versioned: true, versions: { Default: { name: "Default" } } },
  };
}
