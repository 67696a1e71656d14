// The benchmark plan: one fast upstream, then each proxy in turn in front of it, each loaded by the
// same wrk invocation. Proxies run one at a time so they never compete for the two cores.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Options } from "./args.js";
import type { Tools } from "./install.js";
import { proxyServer, startNginx, upstreamServer } from "./nginx.js";
import { stopChild, type Child } from "./processes.js";
import type { Measurement } from "./table.js";
import { expectAuthorised, JWT_PATH, TOKEN_PATH } from "./auth-apis.js";
import { treeCpuMs } from "./cpu.js";
import { LIMITED_PATH, redisCommandCalls, resetRedisStats, WorkerCpu } from "./limits-api.js";
import { LISTEN_PATH, startAnalyticsConsumer, startControlPlane, startGateway, type TollgateCluster } from "./tollgate.js";
import { runWrk, writeDoneHook, type WrkResult } from "./wrk.js";

const WARMUP = "2s";
const PROCESS_COUNTS = [1, 2];
/** Connections of the light-load latency rows: the hop's own latency, not queueing at saturation. */
export const LIGHT_CONNECTIONS = 4;

export interface Plan {
  opts: Options;
  tools: Tools;
  workDir: string;
  repoRoot: string;
}

export interface Outcome {
  rows: Measurement[];
  failures: string[];
  /** Lines printed under the table (e.g. Redis commands per request of the rate-limited row). */
  notes: string[];
  /** Light-load rows (LIGHT_CONNECTIONS connections): direct, nginx and tollgate with one process. */
  latency: Measurement[];
}

export async function runScenarios(plan: Plan): Promise<Outcome> {
  const outcome: Outcome = { rows: [], failures: [], notes: [], latency: [] };
  const hook = writeDoneHook(plan.workDir);
  const measure = measurer(plan, hook, outcome);
  const light = lightMeasurer(plan, hook, outcome);
  const upstream = await startNginx(plan.tools.nginx, join(plan.workDir, "upstream"), "upstream nginx", 1, upstreamServer, "/");
  try {
    if (plan.opts.only.includes("direct")) {
      await measure("direct", 1, `http://127.0.0.1:${upstream.port}/`);
      await light("direct", `http://127.0.0.1:${upstream.port}/`);
    }
    const tls = benchCertificate(plan.workDir);
    if (plan.opts.only.includes("nginx")) await attempt(outcome, "nginx", () => nginxRuns(plan, upstream.port, measure, undefined, light));
    if (plan.opts.only.includes("tollgate")) await attempt(outcome, "tollgate", () => tollgateRuns(plan, upstream.port, measure, tls, false, outcome, light));
    if (plan.opts.only.includes("nginx-tls")) await attempt(outcome, "nginx-tls", () => nginxRuns(plan, upstream.port, measure, tls));
    if (plan.opts.only.includes("tollgate-tls")) await attempt(outcome, "tollgate-tls", () => tollgateRuns(plan, upstream.port, measure, tls, true, outcome));
  } finally {
    await stopChild(upstream.child);
  }
  return outcome;
}

/** Process trees whose CPU time is charged to a row: the proxy's, and those analytics adds (consumer, Redis). */
export interface CpuWatch {
  proxyPid: number;
  analyticsPids: number[];
}

/** `extra`: a CpuWatch (CPU per request in the row), or a hook run between the warm-up and the measured run. */
type Measure = (scenario: string, processes: number, url: string, headers?: readonly string[], extra?: CpuWatch | (() => Promise<void>)) => Promise<WrkResult>;

function measurer(plan: Plan, hook: string, outcome: Outcome): Measure {
  const { duration, connections, threads } = plan.opts;
  return async (scenario, processes, url, headers = [], extra) => {
    console.log(`→ ${scenario} x${processes}: warm-up ${WARMUP}, then ${duration} at ${connections} connections, ${threads} thread(s)`);
    await runWrk(plan.tools.wrk, hook, url, { duration: WARMUP, connections, threads, headers });
    const watch = typeof extra === "function" ? undefined : extra;
    if (typeof extra === "function") await extra();
    const sample = (): [number, number] => (watch ? [treeCpuMs(watch.proxyPid), watch.analyticsPids.reduce((t, p) => t + treeCpuMs(p), 0)] : [0, 0]);
    const before = sample();
    const result = await runWrk(plan.tools.wrk, hook, url, { duration, connections, threads, headers });
    // A consumer drains what the run queued for a moment after it: give it that moment before sampling.
    if (watch && watch.analyticsPids.length > 1) await new Promise((r) => setTimeout(r, 1500));
    const after = sample();
    const cpu = watch ? { proxyUs: ((after[0] - before[0]) * 1000) / result.requests, analyticsUs: ((after[1] - before[1]) * 1000) / result.requests } : undefined;
    console.log(`  ${result.rps.toFixed(0)} rps, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms${cpu ? `, ${cpu.proxyUs.toFixed(1)} µs CPU/request (+${cpu.analyticsUs.toFixed(1)} µs consumer and Redis)` : ""}`);
    outcome.rows.push({ scenario, processes, result, cpu });
    return result;
  };
}

type LightMeasure = (scenario: string, url: string) => Promise<void>;

/** The same wrk at LIGHT_CONNECTIONS connections (after a 1 s warm-up): latency without queueing. */
function lightMeasurer(plan: Plan, hook: string, outcome: Outcome): LightMeasure {
  const { duration } = plan.opts;
  const opts = { duration, connections: LIGHT_CONNECTIONS, threads: 1 };
  return async (scenario, url) => {
    console.log(`→ ${scenario} x1 at light load: ${duration} at ${LIGHT_CONNECTIONS} connections`);
    await runWrk(plan.tools.wrk, hook, url, { ...opts, duration: "1s" });
    const result = await runWrk(plan.tools.wrk, hook, url, opts);
    console.log(`  ${result.rps.toFixed(0)} rps, p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms`);
    outcome.latency.push({ scenario, processes: 1, result });
  };
}

/** A failing scenario is reported and skipped; the others still produce their rows. */
async function attempt(outcome: Outcome, scenario: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const msg = `${scenario}: ${(err as Error).message}`;
    console.error(`✗ ${msg}`);
    outcome.failures.push(msg);
  }
}

/** One self-signed certificate (RSA 2048, CN/SAN 127.0.0.1) for both TLS proxies, made with openssl. */
function benchCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, "bench.crt");
  const key = join(dir, "bench.key");
  const res = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`openssl could not make the benchmark certificate: ${res.stderr}`);
  return { cert, key };
}

async function nginxRuns(plan: Plan, upstreamPort: number, measure: Measure, tls?: { cert: string; key: string }, light?: LightMeasure): Promise<void> {
  const name = tls ? "nginx-tls" : "nginx";
  for (const workers of PROCESS_COUNTS) {
    const server = (port: number) => proxyServer(port, upstreamPort, plan.opts.connections, tls);
    const dir = join(plan.workDir, `${name}-${workers}`);
    const proxy = await startNginx(plan.tools.nginx, dir, `${name} x${workers}`, workers, server, LISTEN_PATH);
    try {
      await measure(name, workers, `${tls ? "https" : "http"}://127.0.0.1:${proxy.port}${LISTEN_PATH}`);
      if (light && workers === 1) await light(name, `http://127.0.0.1:${proxy.port}${LISTEN_PATH}`);
    } finally {
      await stopChild(proxy.child);
    }
  }
}

async function tollgateRuns(
  plan: Plan, upstreamPort: number, measure: Measure, tls: { cert: string; key: string }, isTls: boolean, outcome: Outcome, light?: LightMeasure,
): Promise<void> {
  const dir = join(plan.workDir, isTls ? "tollgate-tls" : "tollgate");
  if (!plan.tools.redis) throw new Error("redis-server was not located");
  const cluster = await startControlPlane(plan.repoRoot, plan.tools.redis, dir, upstreamPort, tls);
  try {
    for (const workers of PROCESS_COUNTS) {
      const gateway = await startGateway(plan.repoRoot, dir, cluster, workers, isTls);
      try {
        if (isTls) {
          await measure("tollgate-tls", workers, `https://127.0.0.1:${cluster.tlsListenPort}${LISTEN_PATH}`);
        } else {
          const base = `http://127.0.0.1:${cluster.listenPort}`;
          const cpu = new WorkerCpu(gateway.proc.pid!);
          const keyless = await measure("tollgate", workers, `${base}${LISTEN_PATH}`, [], () => cpu.start());
          const keylessUs = await cpu.perRequestUs(keyless.requests);
          await limitedRow(cluster, workers, `${base}${LIMITED_PATH}`, measure, outcome, cpu, keylessUs);
          // Same gateway, same upstream: only the authentication differs (ratios in the "rps / keyless" column).
          await expectAuthorised(`${base}${TOKEN_PATH}`, cluster.auth.tokenHeader);
          await expectAuthorised(`${base}${JWT_PATH}`, cluster.auth.jwtHeader);
          const token = await measure("tollgate token", workers, `${base}${TOKEN_PATH}`, [cluster.auth.tokenHeader], () => cpu.start());
          const tokenUs = await cpu.perRequestUs(token.requests);
          await expectAuthorised(`${base}${TOKEN_PATH}`, cluster.limitedKeyHeader);
          await keyLimitedRow(cluster, workers, `${base}${TOKEN_PATH}`, measure, outcome, { token, tokenUs, keylessUs, cpu });
          await measure("tollgate jwt", workers, `${base}${JWT_PATH}`, [cluster.auth.jwtHeader]);
          if (light && workers === 1) await light("tollgate", `${base}${LISTEN_PATH}`);
        }
      } finally {
        await stopChild(gateway);
      }
    }
    // After the rows above, so "rps / keyless" keeps comparing the auth rows with their own gateway.
    if (!isTls) await analyticsRuns(plan, dir, cluster, measure);
  } finally {
    await stopAllOf(cluster.children);
  }
}

/**
 * Keyless, analytics off then on (records batched to Redis and consumed by `tollgate analytics` running
 * beside it on the same cores, unless `--consumer off`): the issue asks for on ≥ 0.95 × off. Each round is
 * an adjacent off/on pair, so both see the same background load; `--rounds` repeats the pair.
 */
async function analyticsRuns(plan: Plan, dir: string, cluster: TollgateCluster, measure: Measure): Promise<void> {
  const consumer = plan.opts.consumer ? startAnalyticsConsumer(plan.repoRoot, dir, cluster) : null;
  if (consumer) cluster.children.push(consumer);
  const redisPid = cluster.children[0]!.proc.pid!;
  for (const workers of PROCESS_COUNTS) {
    for (const withAnalytics of Array.from({ length: plan.opts.rounds }, () => [false, true]).flat()) {
      const gateway = await startGateway(plan.repoRoot, dir, cluster, workers, false, withAnalytics);
      try {
        const watch = { proxyPid: gateway.proc.pid!, analyticsPids: [redisPid, ...(consumer ? [consumer.proc.pid!] : [])] };
        await measure(withAnalytics ? "tollgate+analytics" : "tollgate", workers, `http://127.0.0.1:${cluster.listenPort}${LISTEN_PATH}`, [], watch);
      } finally {
        await stopChild(gateway);
      }
    }
  }
}

/** The auth-token API with a key that has a rate limit and a quota: the same script call, two counters. */
async function keyLimitedRow(
  cluster: TollgateCluster, workers: number, url: string, measure: Measure, outcome: Outcome,
  base: { token: WrkResult; tokenUs: number; keylessUs: number; cpu: WorkerCpu },
): Promise<void> {
  const result = await measure("tollgate token limited", workers, url, [cluster.limitedKeyHeader], async () => {
    await resetRedisStats(cluster.redisPort);
    await base.cpu.start();
  });
  const limitedUs = await base.cpu.perRequestUs(result.requests);
  const calls = await redisCommandCalls(cluster.redisPort);
  const scripts = (calls.evalsha ?? 0) + (calls.eval ?? 0);
  outcome.notes.push(`tollgate token limited x${workers} (key rate + quota): ${(result.rps / base.token.rps).toFixed(2)} × the token row's rps; ` +
    `worker CPU per request ${base.tokenUs.toFixed(1)} µs token → ${limitedUs.toFixed(1)} µs with limits ` +
    `(token ÷ limited ${(base.tokenUs / limitedUs).toFixed(2)}, keyless ÷ limited ${(base.keylessUs / limitedUs).toFixed(2)}); ` +
    `${(scripts / result.requests).toFixed(3)} Redis commands sent per request (EVALSHA/EVAL; ${result.requests} requests)`);
}

/**
 * The rate-limited row: every request runs the limit script. Redis's command counters are reset after the
 * warm-up, so the note under the table divides the measured run's Redis commands by its requests.
 */
async function limitedRow(
  cluster: TollgateCluster, workers: number, url: string, measure: Measure, outcome: Outcome, cpu: WorkerCpu, keylessUs: number,
): Promise<void> {
  const result = await measure("tollgate limited", workers, url, [], async () => {
    await resetRedisStats(cluster.redisPort);
    await cpu.start();
  });
  const limitedUs = await cpu.perRequestUs(result.requests);
  outcome.notes.push(`tollgate x${workers}: gateway worker CPU per request ${keylessUs.toFixed(1)} µs keyless, ` +
    `${limitedUs.toFixed(1)} µs rate-limited (keyless ÷ limited = ${(keylessUs / limitedUs).toFixed(2)}; CPU time is steadier than rps on a shared machine)`);
  const calls = await redisCommandCalls(cluster.redisPort);
  const scripts = (calls.evalsha ?? 0) + (calls.eval ?? 0);
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  outcome.notes.push(`tollgate limited x${workers}: ${(scripts / result.requests).toFixed(3)} Redis commands sent per request ` +
    `(EVALSHA/EVAL; ${result.requests} requests). INFO commandstats also counts the commands run inside the script, ` +
    `${((total - scripts) / result.requests).toFixed(2)} per request: ${JSON.stringify(calls)}`);
}

async function stopAllOf(children: Child[]): Promise<void> {
  for (const child of [...children].reverse()) await stopChild(child);
}
