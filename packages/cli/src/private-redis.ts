import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createRedisClient, waitForReady, type StorageOptions } from '@tollgate/store';
import { waitUntil } from './wait-until.js';

/** Asks the OS for a free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** True when a Redis answers PING at `storage` within `timeoutMs`. */
export async function redisAnswers(storage: StorageOptions, timeoutMs: number): Promise<boolean> {
  const client = createRedisClient({ ...storage, timeout: timeoutMs / 1000 }, { name: 'tollgate:probe', retry: false });
  client.on('error', () => undefined);
  try {
    await waitForReady(client, timeoutMs);
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts a throw-away redis-server (no persistence) on a free loopback port. */
export async function startPrivateRedis(): Promise<{ port: number; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const ok = await waitUntil(() => redisAnswers({ host: '127.0.0.1', port }, 500), 10_000);
  if (!ok) {
    child.kill();
    throw new Error(`redis-server did not start on port ${port}`);
  }
  return { port, process: child };
}
