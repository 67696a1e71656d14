// The benchmark plan: one fast upstream, and in front of it, for each process count, nginx and the tollgate
// gateway side by side (then nginx-tls and tollgate-tls). The rows that are compared with each other are
// measured round-robin, `--rounds` times, one wrk run at a time: an idle proxy costs nothing, and a drift
// of the shared machine lands on every row of a round alike instead of on whichever row ran last.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Options, ScenarioName } from "./args.js";
import type { Tools } from "./install.js";
import { proxyServer, startNginx, upstreamServer } from "./nginx.js";
import { stopChild, type Child } from "./processes.js";
import type { Measurement } from "./table.js";
import { expectAuthorised, JWT_PATH, TOKEN_PATH } from "./auth-apis.js";
import { treeCpuMs } from "./cpu.js";
import { LIMITED_PATH, WorkerCpu } from "./limits-api.js";
import { queuedRecords, redisCommandCalls, resetRedisStats } from "./redis-commands.js";
import { gatewayBaseUrl, LISTEN_PATH, startAnalyticsConsumer, startControlPlane, startGateway, type TollgateCluster } from "./tollgate.js";
import { errorCount, runWrk, writeDoneHook, type WrkResult } from "./wrk.js";

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
  /** Light-load rows (LIGHT_CONNECTIONS connections): direct, nginx and tollgate with one process. */
  latency: Measurement[];
}

export async function runScenarios(plan: Plan): Promise<Outcome> {
  const outcome: Outcome = { rows: [], failures: [], latency: [] };
  const hook = writeDoneHook(plan.workDir);
  const only = (name: ScenarioName) => plan.opts.only.includes(name);
  const upstream = await startNginx(plan.tools.nginx, join(plan.workDir, "upstream"), "upstream nginx", 1, upstreamServer, "/");
  try {
    const directUrl = `http://127.0.0.1:${upstream.port}/`;
    const tls = benchCertificate(plan.workDir);
    // Plain HTTP: for each process count, nginx and the gateway run side by side (an idle one costs nothing)
    // and their rows are measured round-robin; direct and the light-load rows join the x1 rounds.
    const cluster = only("tollgate") || only("analytics") ? await attempt(outcome, "tollgate", () => startCluster(plan, "tollgate", upstream.port, tls)) : undefined;
    try {
      for (const workers of PROCESS_COUNTS) {
        const head: Target[] = workers === 1 && only("direct") ? [{ scenario: "direct", processes: 1, url: directUrl }] : [];
        const tail: Target[] = workers === 1 && only("direct") ? [{ scenario: "direct", processes: 1, url: directUrl, light: true }] : [];
        const sides = [
          ...(only("nginx") ? [nginxSide(plan, upstream.port, workers, "nginx")] : []),
          ...(cluster && only("tollgate") ? [tollgateSide(plan, cluster, workers, false)] : []),
        ];
        if (head.length > 0 || sides.length > 0) await session(plan, hook, outcome, `x${workers}`, head, tail, sides);
      }
      // After the rows above, so that the analytics gateways never run beside them.
      if (cluster && only("analytics")) await attempt(outcome, "tollgate analytics", () => analyticsRuns(plan, hook, outcome, cluster));
    } finally {
      if (cluster) await stopAllOf(cluster.children);
    }
    // HTTPS: nginx-tls and tollgate-tls side by side, round-robin, for each process count.
    const tlsCluster = only("tollgate-tls") ? await attempt(outcome, "tollgate-tls", () => startCluster(plan, "tollgate-tls", upstream.port, tls)) : undefined;
    try {
      for (const workers of PROCESS_COUNTS) {
        await session(plan, hook, outcome, `tls x${workers}`, [], [], [
          ...(only("nginx-tls") ? [nginxSide(plan, upstream.port, workers, "nginx-tls", tls)] : []),
          ...(tlsCluster ? [tollgateSide(plan, tlsCluster, workers, true)] : []),
        ]);
      }
    } finally {
      if (tlsCluster) await stopAllOf(tlsCluster.children);
    }
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

/** One row of a round-robin: a wrk target, with what to do around each of its measured runs. */
interface Target {
  scenario: string;
  processes: number;
  url: string;
  headers?: readonly string[];
  /** LIGHT_CONNECTIONS connections, 1 thread; the run goes to the light-load table. */
  light?: boolean;
  /** Just before each measured run (after the warm-up): reset counters, sample CPU. */
  before?: () => Promise<void>;
  /** Just after each measured run: what to record with it besides wrk's result (CPU, Redis calls). */
  after?: (result: WrkResult) => Promise<Partial<Measurement>>;
}

/** A proxy started for one session: its rows (in round-robin order), its light-load row, and how to stop it. */
interface Side {
  name: string;
  targets: Target[];
  light?: Target;
  stop: () => Promise<void>;
}

type SideStarter = { name: string; start: () => Promise<Side> };

/**
 * Starts every side (a side that fails to start is reported and left out) and warms each up once (2 s on
 * its first row; the head's rows too), then measures `--rounds` rounds, each running every target once in
 * order: head, each side's targets, tail, then the sides' light-load targets. A target whose warm-up or
 * run fails is reported and dropped from the later rounds (with a failed warm-up, its side's other rows
 * too). Stops the sides at the end.
 */
async function session(plan: Plan, hook: string, outcome: Outcome, name: string, head: Target[], tail: Target[], starters: SideStarter[]): Promise<void> {
  const sides: Side[] = [];
  try {
    for (const starter of starters) {
      const side = await attempt(outcome, starter.name, starter.start);
      if (side) sides.push(side);
    }
    const rowsOf = (side: Side) => [...side.targets, ...(side.light ? [side.light] : [])];
    const targets = [...head, ...sides.flatMap((s) => s.targets), ...tail, ...sides.flatMap((s) => (s.light ? [s.light] : []))];
    if (targets.length === 0) return;
    const { rounds } = plan.opts;
    console.log(`\n${name}: ${targets.length} rows, ${rounds} round(s) of ${targets.map(label).join(", ")}`);
    const live = new Set<Target>(targets);
    // One warm-up per process: the other rows of a side go through the same warm process (the credentials
    // were checked once when it started, which created their sessions).
    const warmGroups: Target[][] = [...head.map((t) => [t]), ...sides.map(rowsOf)];
    for (const group of warmGroups) {
      if (group[0] && (await attempt(outcome, label(group[0]), () => warmUp(plan, hook, group[0]!))) === undefined) {
        for (const t of group) live.delete(t);
      }
    }
    for (let round = 1; round <= rounds; round++) {
      for (const target of targets.filter((t) => live.has(t))) {
        const ok = await attempt(outcome, `${label(target)} round ${round}`, () => measureRun(plan, hook, outcome, name, round, target));
        if (ok === undefined) live.delete(target);
      }
    }
  } finally {
    for (const side of sides.reverse()) await side.stop();
  }
}

const label = (t: Target) => `${t.scenario} x${t.processes}${t.light ? " light" : ""}`;

function wrkOptions(plan: Plan, target: Target, warm: boolean) {
  const { duration, connections, threads } = plan.opts;
  const headers = target.headers ?? [];
  if (target.light) return { duration: warm ? WARMUP : duration, connections: LIGHT_CONNECTIONS, threads: 1, headers };
  return { duration: warm ? WARMUP : duration, connections, threads, headers };
}

async function warmUp(plan: Plan, hook: string, target: Target): Promise<true> {
  const opts = wrkOptions(plan, target, true);
  console.log(`→ ${label(target)}: warm-up ${opts.duration} at ${opts.connections} connections`);
  await runWrk(plan.tools.wrk, hook, target.url, opts);
  return true;
}

/** One measured run of a target (no warm-up): recorded in the main or the light-load table. */
async function measureRun(plan: Plan, hook: string, outcome: Outcome, session: string, round: number, target: Target): Promise<true> {
  await target.before?.();
  const opts = wrkOptions(plan, target, false);
  const result = await runWrk(plan.tools.wrk, hook, target.url, opts);
  const extra = (await target.after?.(result)) ?? {};
  const m: Measurement = { scenario: target.scenario, processes: target.processes, session, round, result, ...extra };
  (target.light ? outcome.latency : outcome.rows).push(m);
  const ms = (v: number) => v.toFixed(target.light ? 3 : 2);
  const errors = errorCount(result);
  console.log(`  ${label(target)} round ${round}: ${result.rps.toFixed(0)} rps, p50 ${ms(result.p50Ms)} ms, p99 ${ms(result.p99Ms)} ms` +
    `${m.workerUs !== undefined ? `, ${m.workerUs.toFixed(1)} µs worker CPU/request` : ""}` +
    `${m.cpu ? `, ${m.cpu.proxyUs.toFixed(1)} µs CPU/request (+${m.cpu.analyticsUs.toFixed(1)} µs consumer and Redis)` : ""}` +
    `${errors > 0 ? `, ${errors} ERRORS` : ""}`);
  return true;
}

/** A failing step is reported and skipped (undefined); the others still produce their rows. */
async function attempt<T>(outcome: Outcome, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const msg = `${what}: ${(err as Error).message}`;
    console.error(`✗ ${msg}`);
    outcome.failures.push(msg);
    return undefined;
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

/** nginx (or nginx terminating TLS) with `workers` worker processes: one row, and at x1 without TLS a light-load row. */
function nginxSide(plan: Plan, upstreamPort: number, workers: number, name: "nginx" | "nginx-tls", tls?: { cert: string; key: string }): SideStarter {
  return {
    name: `${name} x${workers}`,
    start: async () => {
      const server = (port: number) => proxyServer(port, upstreamPort, plan.opts.connections, tls);
      const proxy = await startNginx(plan.tools.nginx, join(plan.workDir, `${name}-${workers}`), `${name} x${workers}`, workers, server, LISTEN_PATH);
      const url = `${tls ? "https" : "http"}://127.0.0.1:${proxy.port}${LISTEN_PATH}`;
      return {
        name,
        targets: [{ scenario: name, processes: workers, url }],
        light: !tls && workers === 1 ? { scenario: name, processes: 1, url, light: true } : undefined,
        stop: () => stopChild(proxy.child),
      };
    },
  };
}

/** Redis and the control plane of the tollgate rows (the gateway is started per worker count). */
async function startCluster(plan: Plan, name: string, upstreamPort: number, tls: { cert: string; key: string }): Promise<TollgateCluster> {
  if (!plan.tools.redis) throw new Error("redis-server was not located");
  return startControlPlane(plan.repoRoot, plan.tools.redis, join(plan.workDir, name), upstreamPort, tls);
}

/**
 * The gateway with `workers` workers. Without TLS: keyless, rate-limited, token, token with key limits and
 * JWT rows (same gateway, same upstream: only the API differs, the "rps / keyless" column), with the
 * workers' CPU per request and, for the limited rows, Redis's command counters (reset before each run),
 * and at x1 a light-load keyless row. With TLS: one keyless row through the uWS TLS front door.
 */
function tollgateSide(plan: Plan, cluster: TollgateCluster, workers: number, isTls: boolean): SideStarter {
  const name = isTls ? "tollgate-tls" : "tollgate";
  return {
    name: `${name} x${workers}`,
    start: async () => {
      const dir = join(plan.workDir, name);
      const gateway = await startGateway(plan.repoRoot, dir, cluster, workers, isTls);
      const stop = () => stopChild(gateway);
      try {
        if (isTls) {
          return { name, targets: [{ scenario: name, processes: workers, url: `https://127.0.0.1:${cluster.tlsListenPort}${LISTEN_PATH}` }], stop };
        }
        const base = `http://127.0.0.1:${cluster.listenPort}`;
        // A row of 401s would measure nothing: check each credential once before any run.
        await expectAuthorised(`${base}${TOKEN_PATH}`, cluster.auth.tokenHeader);
        await expectAuthorised(`${base}${TOKEN_PATH}`, cluster.limitedKeyHeader);
        await expectAuthorised(`${base}${JWT_PATH}`, cluster.auth.jwtHeader);
        const cpu = new WorkerCpu(gateway.proc.pid!);
        const workerCpu = { before: () => cpu.start(), after: async (r: WrkResult) => ({ workerUs: await cpu.perRequestUs(r.requests) }) };
        const redisAndCpu = {
          before: async () => {
            await resetRedisStats(cluster.redisPort);
            await cpu.start();
          },
          after: async (r: WrkResult) => ({ workerUs: await cpu.perRequestUs(r.requests), redisCalls: await redisCommandCalls(cluster.redisPort) }),
        };
        const row = (scenario: string, path: string, headers: readonly string[] = []): Target => ({ scenario, processes: workers, url: `${base}${path}`, headers });
        return {
          name,
          targets: [
            { ...row("tollgate", LISTEN_PATH), ...workerCpu },
            { ...row("tollgate limited", LIMITED_PATH), ...redisAndCpu },
            { ...row("tollgate token", TOKEN_PATH, [cluster.auth.tokenHeader]), ...workerCpu },
            { ...row("tollgate token limited", TOKEN_PATH, [cluster.limitedKeyHeader]), ...redisAndCpu },
            { ...row("tollgate jwt", JWT_PATH, [cluster.auth.jwtHeader]), ...workerCpu },
          ],
          light: workers === 1 ? { scenario: "tollgate", processes: 1, url: `${base}${LISTEN_PATH}`, light: true } : undefined,
          stop,
        };
      } catch (err) {
        await stop();
        throw err;
      }
    },
  };
}

/**
 * Keyless, analytics off and on (records batched to Redis and consumed by `tollgate analytics` running
 * beside it on the same cores, unless `--consumer off`): the issue asks for on ≥ 0.95 × off. The two
 * gateways (plain config, analytics config on ports of its own) run side by side, both restarted and warmed
 * up every two pairs, and `--pairs` off/on pairs are measured per worker count: a pair is two adjacent
 * runs, off then on in odd pairs and on then off in even ones, so a drift of the machine does not always
 * land on the same side.
 * After every run the queue is left to drain (the consumer aggregates what the run queued), so a run never
 * pays for the one before it, and the consumer's and Redis's CPU of that drain is charged to the run.
 */
async function analyticsRuns(plan: Plan, hook: string, outcome: Outcome, cluster: TollgateCluster): Promise<void> {
  const dir = join(plan.workDir, "tollgate");
  const consumer = plan.opts.consumer ? startAnalyticsConsumer(plan.repoRoot, dir, cluster) : null;
  if (consumer) cluster.children.push(consumer);
  const redisPid = cluster.children[0]!.proc.pid!;
  for (const workers of PROCESS_COUNTS) {
    const session = `analytics x${workers}`;
    console.log(`\n${session}: ${plan.opts.pairs} off/on pair(s), the two gateways side by side, restarted every two pairs`);
    // Blocks of two pairs (off, on, on, off), both gateways restarted for every block and the one started
    // first alternating: a gateway process keeps for its life a speed of its own (a few % either way on the
    // project's VM, also between two starts of the same config), so the pairs sample many starts of each.
    for (let first = 1, block = 1; first <= plan.opts.pairs; first += 2, block++) {
      const last = Math.min(first + 1, plan.opts.pairs);
      const startOrder = block % 2 === 1 ? [false, true] : [true, false];
      // A block that fails is reported and left out; the other blocks still give their pairs.
      await attempt(outcome, `${session} pairs ${first}-${last}`, async () => {
        const gateways: Child[] = [];
        try {
          const targets = new Map<boolean, Target>();
          for (const withAnalytics of startOrder) {
            const gateway = await startGateway(plan.repoRoot, dir, cluster, workers, false, withAnalytics);
            gateways.push(gateway);
            targets.set(withAnalytics, analyticsTarget(cluster, gateway, workers, withAnalytics, redisPid, consumer));
          }
          const [off, on] = [targets.get(false)!, targets.get(true)!];
          for (const target of [off, on]) await warmUp(plan, hook, target);
          for (let pair = first; pair <= last; pair++) {
            for (const target of pair % 2 === 1 ? [off, on] : [on, off]) await measureRun(plan, hook, outcome, session, pair, target);
          }
        } finally {
          for (const gateway of gateways) await stopChild(gateway);
        }
      });
    }
  }
}

/** The keyless row of one of the two analytics gateways, charged its own CPU and the consumer's and Redis's. */
function analyticsTarget(cluster: TollgateCluster, gateway: Child, workers: number, withAnalytics: boolean, redisPid: number, consumer: Child | null): Target {
  const watch: CpuWatch = { proxyPid: gateway.proc.pid!, analyticsPids: consumer ? [redisPid, consumer.proc.pid!] : [redisPid] };
  const sample = (): [number, number] => [treeCpuMs(watch.proxyPid), watch.analyticsPids.reduce((t, p) => t + treeCpuMs(p), 0)];
  let before: [number, number] = [0, 0];
  return {
    scenario: withAnalytics ? "tollgate+analytics" : "tollgate",
    processes: workers,
    url: `${gatewayBaseUrl(cluster, false, withAnalytics)}${LISTEN_PATH}`,
    before: async () => {
      before = sample();
    },
    after: async (result) => {
      await afterRun(cluster.redisPort, consumer !== null);
      const after = sample();
      return { cpu: { proxyUs: ((after[0] - before[0]) * 1000) / result.requests, analyticsUs: ((after[1] - before[1]) * 1000) / result.requests } };
    },
  };
}

/**
 * Lets the run just measured finish: past the workers' flush interval (200 ms), and with a consumer until
 * the queue's record counter is 0, i.e. every record of the run is aggregated (bounded: 15 s). Both sides
 * of a pair wait the same way.
 */
async function afterRun(redisPort: number, hasConsumer: boolean): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  if (!hasConsumer) return;
  const deadline = Date.now() + 15_000;
  for (let queued = await queuedRecords(redisPort); queued > 0 && Date.now() < deadline; queued = await queuedRecords(redisPort)) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopAllOf(children: Child[]): Promise<void> {
  for (const child of [...children].reverse()) await stopChild(child);
}
