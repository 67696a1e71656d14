// Tollgate under test: a private redis, a control plane that loads one keyless API from app_path,
// and a gateway with N workers. All state lives in a temp dir and dies with the run.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, waitFor200 } from "./net.js";
import { startChild, stopChild, type Child } from "./processes.js";

export const LISTEN_PATH = "/bench/";

export interface TollgateCluster {
  configFile: string;
  /** The same configuration with `enable_analytics` on (the analytics-on rows). */
  analyticsConfigFile: string;
  listenPort: number;
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
export async function startControlPlane(repoRoot: string, redisBin: string, dir: string, upstreamPort: number): Promise<TollgateCluster> {
  const cli = cliPath(repoRoot);
  mkdirSync(join(dir, "apps"), { recursive: true });
  const redisPort = await freePort();
  const redis = startChild("redis", redisBin, ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], join(dir, "redis.log"));
  const [listenPort, controlPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const configFile = join(dir, "tollgate.json");
  const config = gatewayConfig(dir, listenPort, controlPort, metricsPort, redisPort);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const analyticsConfigFile = join(dir, "tollgate-analytics.json");
  writeFileSync(analyticsConfigFile, JSON.stringify({ ...config, enable_analytics: true }, null, 2));
  writeFileSync(join(dir, "apps", "bench.json"), JSON.stringify(keylessApi(upstreamPort), null, 2));
  const control = startChild("control-plane", process.execPath, [cli, "control-plane", "--config", configFile], join(dir, "control-plane.log"), repoRoot);
  return { configFile, analyticsConfigFile, listenPort, children: [redis, control] };
}

export async function startGateway(repoRoot: string, dir: string, cluster: TollgateCluster, workers: number, withAnalytics = false): Promise<Child> {
  const configFile = withAnalytics ? cluster.analyticsConfigFile : cluster.configFile;
  const args = [cliPath(repoRoot), "gateway", "--config", configFile, "--workers", String(workers)];
  const label = `gateway x${workers}${withAnalytics ? " analytics" : ""}`;
  const gateway = startChild(label, process.execPath, args, join(dir, `${label.replace(/ /g, "-")}.log`), repoRoot);
  try {
    await waitFor200(`http://127.0.0.1:${cluster.listenPort}${LISTEN_PATH}`, gateway, 20_000);
  } catch (err) {
    await stopChild(gateway);
    throw err;
  }
  return gateway;
}

/** `tollgate analytics` consuming the records of the analytics-on rows while they run. */
export function startAnalyticsConsumer(repoRoot: string, dir: string, cluster: TollgateCluster): Child {
  const args = [cliPath(repoRoot), "analytics", "--config", cluster.analyticsConfigFile, "--metrics-port", "0"];
  return startChild("analytics", process.execPath, args, join(dir, "analytics.log"), repoRoot);
}

function gatewayConfig(dir: string, listenPort: number, controlPort: number, metricsPort: number, redisPort: number) {
  return {
    listen_port: listenPort,
    control_api_port: controlPort,
    metrics_port: metricsPort,
    secret: randomBytes(16).toString("hex"),
    app_path: join(dir, "apps"),
    storage: { host: "127.0.0.1", port: redisPort },
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
