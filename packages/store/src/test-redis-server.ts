import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A private redis-server for one test file: a free port, no persistence, stopped by the test. */
export interface TestRedisServer {
  readonly port: number;
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
export async function startTestRedis(options: { readonly port?: number } = {}): Promise<TestRedisServer> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
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
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
