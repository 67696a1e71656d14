import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private redis-server for one test file: a free port, no persistence, stopped by the test. */
export interface TestRedisServer {
  readonly port: number;
  /** Process id (a test may SIGSTOP it to make Redis hang). */
  readonly pid: number;
  /** Stops the server and resolves once the process has exited. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP port available');
  return address.port;
}

/**
 * Starts `redis-server --port P --save "" --appendonly no` and resolves once it accepts connections.
 * Pass `port` to start again on the port of a server that was stopped (outage and recovery tests).
 *
 * @example
 * const redis = await startTestRedis(); // in before()
 * await redis.stop();                     // in after()
 */
export async function startTestRedis(options: { readonly port?: number; readonly extraArgs?: readonly string[] } = {}): Promise<TestRedisServer> {
  const port = options.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(options.extraArgs ?? [])];
  const child: ChildProcess = spawn('redis-server', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)));
  });
  child.removeAllListeners('exit');
  const exited = once(child, 'exit');
  return {
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A private three-master Redis Cluster for one test file. */
export interface TestRedisCluster {
  /** Client ports of the three masters (cluster bus on port + 10000). */
  readonly ports: readonly number[];
  /** Stops every node and removes the nodes' files. */
  stop(): Promise<void>;
}

/** A port that is free together with its cluster-bus port (+10000), so below 55536. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || !(await canBind(port)) || !(await canBind(port + 10_000))) continue;
    taken.add(port);
    return port;
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function runRedisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr?.on('data', (c: Buffer) => { out += c.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args.join(' ')} exited ${code}: ${out}`))));
  });
}

/**
 * Starts three `redis-server --cluster-enabled yes` nodes on free ports, joins them with
 * `redis-cli --cluster create` (no replicas, 5461/5461/5462 slots) and resolves once every node reports
 * `cluster_state:ok`. Bounded: gives up after 20 s.
 *
 * @example
 * const cluster = await startTestRedisCluster(); // new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })))
 */
export async function startTestRedisCluster(): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cluster-'));
  const taken = new Set<number>();
  const ports = [await freeClusterPort(taken), await freeClusterPort(taken), await freeClusterPort(taken)];
  const nodes: TestRedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      nodes.push(await startTestRedis({ port, extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir] }));
    }
    await runRedisCli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    for (const port of ports) {
      while (!(await runRedisCli(['-p', String(port), 'cluster', 'info'])).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${port} not ok within 20 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, stop };
}
