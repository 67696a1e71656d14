import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { childPids, freePort, killGroup, waitFor } from './processes.js';

/** The repository root (this file runs from test/dist/support/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = join(REPO_ROOT, 'packages/cli/dist/main.js');

/** Redis keys and channel the product uses (design: config distribution). */
export const WORKERS_HASH = '{tollgate:config}:workers';
export const REVISION_KEY = '{tollgate:config}:revision';
/** Hash of tollgate's own service addresses (the control plane registers `admin-api`). */
export const ENDPOINTS_HASH = '{tollgate:config}:endpoints';

/** A worker that reported within this long counts as live (workers report about once a second). */
const LIVE_REPORT_MS = 3000;

export interface TollgateOptions {
  readonly redisPort: number;
  /** Gateway workers; 0 starts only the control plane. */
  readonly workers: number;
  /** Files written to app_path before the control plane starts: name → JSON value or raw text. */
  readonly apps?: Readonly<Record<string, unknown>>;
  /** Extra tollgate.json keys (tyk.conf names), e.g. `{ proxy_default_timeout: 1 }`. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Extra environment for the gateway and control plane (e.g. `SSL_CERT_FILE`). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A gateway node (cluster primary + workers) started by a test. */
export interface GatewayProcess {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  /** Worker pids: the primary's direct children. */
  workerPids(): Promise<number[]>;
  /** Applied revision per live worker pid (recent report in the workers hash and a child of this primary). */
  workerRevisions(): Promise<Map<number, number>>;
  /** Resolves with the worker pids once exactly `n` live workers are registered. */
  waitForWorkers(n: number): Promise<number[]>;
}

/** A `tollgate analytics` consumer started by a test. */
export interface AnalyticsProcess {
  readonly pid: number;
  /** Its own `/metrics`. */
  readonly metricsUrl: string;
  stop(): Promise<void>;
}

export interface Tollgate {
  readonly secret: string;
  /** The gateway primary's `/metrics` (all workers). */
  readonly metricsUrl: string;
  /** Starts `tollgate analytics` on the same configuration (drains every 100 ms). */
  startAnalytics(): Promise<AnalyticsProcess>;
  readonly gatewayPort: number;
  readonly controlPort: number;
  readonly gatewayUrl: string;
  readonly controlUrl: string;
  readonly dir: string;
  readonly appPath: string;
  /** A plain Redis connection to the same server, for checks. */
  readonly redis: Redis;
  readonly controlPlanePid: number;
  /** Present when `workers > 0`. */
  readonly gateway: GatewayProcess;
  /** Current revision counter in Redis. */
  revision(): Promise<number>;
  /** Waits until every live worker of the gateway reports the current revision; returns it. */
  waitForConvergence(): Promise<number>;
  /** stdout+stderr of both processes (for failure messages). */
  logs(): string;
  /** The pino JSON lines one process has logged so far, parsed (other output skipped). */
  logLines(process: 'control-plane' | 'gateway'): Record<string, unknown>[];
  /** Kills every process started (process groups) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** The environment of the test runner minus anything that would override tollgate.json. */
function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(TOLLGATE_|TYK_GW_)/i.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

interface Spawned {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
}

function spawnCli(args: readonly string[], logFile: string, env: Readonly<Record<string, string>> = {}): Spawned {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', fd, fd], detached: true,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`cannot start ${CLI}`);
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }) as ExitStatus);
  return { child, pid: child.pid, exited };
}

/**
 * Accepts any server certificate and any protocol version (TLS 1.0/1.1 need OpenSSL's security level 0):
 * the harness only asks a TLS gateway whether it is up, whatever versions it was configured for.
 */
const insecure = new Agent({ connect: { rejectUnauthorized: false, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' } });

async function httpOk(url: string): Promise<true | undefined> {
  const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000, reset: true, dispatcher: insecure });
  await res.body.dump();
  return res.statusCode === 200 ? true : undefined;
}

/**
 * Writes a temp tollgate.json and app_path, starts `tollgate control-plane` and (when `workers > 0`)
 * `tollgate gateway --workers N`, each in its own process group, and resolves once the control plane
 * and the gateway answer `/hello` with 200 and all N workers are registered in the workers hash.
 *
 * @example
 * const tg = await startTollgate({ redisPort: redis.port, workers: 2 });
 * after(() => tg.stop());
 */
export async function startTollgate(options: TollgateOptions): Promise<Tollgate> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-e2e-'));
  const appPath = join(dir, 'apps');
  mkdirSync(appPath);
  for (const [name, value] of Object.entries(options.apps ?? {})) {
    writeFileSync(join(appPath, name), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  }
  const [gatewayPort, freeControlPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  // control_api_port 0 (admin API on the gateway port): the control plane takes any port and registers it.
  const sharesGatewayPort = options.config?.control_api_port === 0;
  let controlPort = sharesGatewayPort ? 0 : freeControlPort;
  const secret = `e2e-secret-${process.pid}`;
  const configFile = join(dir, 'tollgate.json');
  writeFileSync(configFile, JSON.stringify({
    listen_port: gatewayPort,
    control_api_port: controlPort,
    metrics_port: metricsPort,
    secret,
    app_path: appPath,
    storage: { host: '127.0.0.1', port: options.redisPort },
    log_level: 'warn',
    ...options.config,
  }, null, 2));
  const cpLog = join(dir, 'control-plane.log');
  const gwLog = join(dir, 'gateway.log');
  const anLog = join(dir, 'analytics.log');
  const redis = new Redis({ host: '127.0.0.1', port: options.redisPort, lazyConnect: true, maxRetriesPerRequest: 2 });
  // Outage tests stop Redis on purpose: the failed reconnects are expected, commands still reject.
  redis.on('error', () => undefined);
  await redis.connect();

  const spawned: Spawned[] = [];
  const logs = (): string => [cpLog, gwLog, anLog].map((f) => {
    try { return `--- ${f}\n${readFileSync(f, 'utf8').slice(-8000)}`; } catch { return ''; }
  }).join('\n');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const s of spawned) killGroup(s.pid);
    await Promise.all(spawned.map((s) => s.exited));
    redis.disconnect();
    if (!process.env.KEEP_E2E_TMP) rmSync(dir, { recursive: true, force: true });
  };

  try {
    if (sharesGatewayPort) await redis.hdel(ENDPOINTS_HASH, 'admin-api');
    const cp = spawnCli(['control-plane', '--config', configFile], cpLog, options.env);
    spawned.push(cp);
    const cpDied = cp.exited.then((s) => { throw new Error(`control plane exited early (${s.code ?? s.signal})\n${logs()}`); });
    cpDied.catch(() => undefined);
    if (sharesGatewayPort) {
      const registered = waitFor('control plane to register its admin API', async () => {
        const json = await redis.hget(ENDPOINTS_HASH, 'admin-api');
        return json === null ? undefined : Number(new URL((JSON.parse(json) as { url: string }).url).port);
      });
      controlPort = await Promise.race([registered, cpDied]);
    }
    const controlUrl = `http://127.0.0.1:${controlPort}`;
    const useSsl = (options.config?.http_server_options as { use_ssl?: boolean } | undefined)?.use_ssl === true;
    const gatewayUrl = `${useSsl ? 'https' : 'http'}://127.0.0.1:${gatewayPort}`;
    await Promise.race([waitFor('control plane /hello', () => httpOk(`${controlUrl}/hello`)), cpDied]);

    let gateway: GatewayProcess = undefined as unknown as GatewayProcess;
    if (options.workers > 0) {
      const gw = spawnCli(['gateway', '--config', configFile, '--workers', String(options.workers)], gwLog, options.env);
      spawned.push(gw);
      gateway = gatewayHandle(gw, redis);
      const gwDied = gw.exited.then((s) => { throw new Error(`gateway exited early (${s.code ?? s.signal})\n${logs()}`); });
      await Promise.race([waitFor('gateway /hello', () => httpOk(`${gatewayUrl}/hello`)), gwDied]);
      await Promise.race([gateway.waitForWorkers(options.workers), gwDied]);
      gwDied.catch(() => undefined);
    }
    cpDied.catch(() => undefined);

    const revision = async (): Promise<number> => Number((await redis.get(REVISION_KEY)) ?? 0);
    const startAnalytics = async (): Promise<AnalyticsProcess> => {
      const port = await freePort();
      const an = spawnCli(['analytics', '--config', configFile, '--metrics-port', String(port), '--interval-ms', '100'], anLog);
      spawned.push(an);
      const metricsUrl = `http://127.0.0.1:${port}/metrics`;
      const died = an.exited.then((s) => { throw new Error(`analytics exited early (${s.code ?? s.signal})\n${logs()}`); });
      await Promise.race([waitFor('analytics /metrics', () => httpOk(metricsUrl)), died]);
      died.catch(() => undefined);
      return {
        pid: an.pid, metricsUrl,
        async stop() {
          killGroup(an.pid, 'SIGTERM');
          await an.exited;
        },
      };
    };
    return {
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      startAnalytics,
      secret, gatewayPort, controlPort, gatewayUrl, controlUrl, dir, appPath, redis,
      controlPlanePid: cp.pid,
      gateway,
      revision,
      async waitForConvergence() {
        return waitFor('every worker to apply the current revision', async () => {
          const current = await revision();
          const revs = await gateway.workerRevisions();
          const pids = await gateway.workerPids();
          if (revs.size !== pids.length) return undefined;
          return [...revs.values()].every((r) => r === current) ? current : undefined;
        });
      },
      logs,
      logLines: (name) => parseLogLines(name === 'gateway' ? gwLog : cpLog),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function parseLogLines(file: string): Record<string, unknown>[] {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return []; }
  const lines: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try { lines.push(JSON.parse(line) as Record<string, unknown>); } catch { /* a line cut short by a kill */ }
  }
  return lines;
}

function gatewayHandle(gw: Spawned, redis: Redis): GatewayProcess {
  const host = hostname();
  const workerPids = (): Promise<number[]> => childPids(gw.pid);
  const workerRevisions = async (): Promise<Map<number, number>> => {
    const pids = new Set(await workerPids());
    const all = await redis.hgetall(WORKERS_HASH);
    const now = Date.now();
    const live = new Map<number, number>();
    for (const [id, value] of Object.entries(all)) {
      const sep = id.lastIndexOf(':');
      const pid = Number(id.slice(sep + 1));
      const [rev, at] = value.split(':').map(Number);
      if (id.slice(0, sep) !== host || !pids.has(pid) || rev === undefined || at === undefined) continue;
      if (now - at <= LIVE_REPORT_MS) live.set(pid, rev);
    }
    return live;
  };
  return {
    pid: gw.pid,
    exited: gw.exited,
    workerPids,
    workerRevisions,
    waitForWorkers: (n) => waitFor(`${n} registered gateway workers`, async () => {
      const pids = await workerPids();
      const revs = await workerRevisions();
      return pids.length === n && revs.size === n ? pids : undefined;
    }),
  };
}
