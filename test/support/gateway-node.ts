import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort, killGroup, waitFor } from './processes.js';
import { CLI, REPO_ROOT, type Tollgate } from './tollgate-processes.js';

/** One more gateway node (primary + workers) sharing a started Tollgate's Redis and configuration. */
export interface GatewayNode {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  logs(): string;
  /** SIGKILL to the node's process group; waits for the primary to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `tollgate gateway --workers N` with the first node's tollgate.json and its own `listen_port`,
 * in its own process group, and resolves once it answers `/hello`. Extra tollgate.json keys may be given.
 *
 * @example
 * const second = await startGatewayNode(tg, 2); after(() => second.stop());
 */
export async function startGatewayNode(tg: Tollgate, workers: number, config: Readonly<Record<string, unknown>> = {}): Promise<GatewayNode> {
  const port = await freePort();
  const base = JSON.parse(readFileSync(join(tg.dir, 'tollgate.json'), 'utf8')) as Record<string, unknown>;
  const file = join(tg.dir, `gateway-${port}.json`);
  writeFileSync(file, JSON.stringify({ ...base, ...config, listen_port: port }, null, 2));
  const logFile = join(tg.dir, `gateway-${port}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, 'gateway', '--config', file, '--workers', String(workers)], {
    cwd: REPO_ROOT, stdio: ['ignore', fd, fd], detached: true,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TOLLGATE_|TYK_GW_)/i.test(k))),
  });
  closeSync(fd);
  const exited = once(child, 'exit');
  const logs = (): string => {
    try { return readFileSync(logFile, 'utf8').slice(-8000); } catch { return ''; }
  };
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    killGroup(child.pid);
    await exited;
  };
  try {
    await waitFor(`gateway node on ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`gateway node exited early:\n${logs()}`);
      const res = await request(`${url}/hello`, { headersTimeout: 2000, bodyTimeout: 2000, reset: true });
      await res.body.dump();
      return res.statusCode === 200 ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url, pid: child.pid!, logs, stop };
}
