import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';

/** A TCP port nobody listens on right now (bound then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port available');
  return address.port;
}

/** SIGKILL (or `signal`) to the whole process group led by `pid`; ignores a group already gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Direct children of `pid` (`pgrep -P`), sorted. */
export function childPids(pid: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile('pgrep', ['-P', String(pid)], (err, stdout) => {
      // pgrep exits 1 when nothing matched
      if (err && (err as { code?: number }).code !== 1) return reject(err);
      resolve(stdout.split('\n').filter(Boolean).map(Number).sort((a, b) => a - b));
    });
  });
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns a value other than undefined; rejects after `timeoutMs` (an upper
 * bound against hanging, not an assertion about speed) with `what` and the last error seen.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await sleep(50);
  }
}
