import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort, killGroup } from './processes.js';

/** A private redis-server started by a test file on a free port (no persistence). */
export interface RedisServer {
  readonly port: number;
  readonly pid: number;
  /** Stops the server (SIGKILL to its process group) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server --port P --save "" --appendonly no` in its own process group and resolves once
 * it accepts connections. Pass the `port` of a stopped server to start it again (outage tests).
 *
 * @example
 * const redis = await startRedisServer(); // before()
 * await redis.stop();                      // after()
 */
export async function startRedisServer(options: { readonly port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const exited = once(child, 'exit');
  let output = '';
  let onEarlyExit: ((code: number | null) => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server not ready within 10 s:\n${output}`)), 10_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      onEarlyExit = (code) => { clearTimeout(timer); reject(new Error(`redis-server exited with ${code}:\n${output}`)); };
      child.once('exit', onEarlyExit);
    });
  } catch (err) {
    killGroup(child.pid);
    throw err;
  }
  if (onEarlyExit) child.off('exit', onEarlyExit);
  child.stdout?.resume();
  child.stderr?.resume();
  const pid = child.pid!;
  return {
    port,
    pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(pid);
      await exited;
    },
  };
}
