// The worker's per-request cost of analytics, in process: requests shaped like the front door's (fresh
// strings, 64 in flight) finish through the worker's observers (metrics, and with analytics on the record,
// the batcher, msgpackr and the Redis hand-over to a private redis-server), with the event loop turning
// every 64 requests so batches go out while requests keep coming. Prints CPU time per request (user +
// system of this process, hand-over to Redis included) and GC time, alternating off and on runs, each in a
// fresh child process.
//
//   node packages/gateway/dist/analytics/cost-bench.js [--requests 300000] [--rounds 3]
//
// Not a test: it asserts nothing about time. It only checks that every record was queued.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { defaultConfig, type ApiDefinition, type GatewayConfig } from '@tollgate/apidef';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createExchangeObservers } from '../observers.js';
import { createPipelineDeps } from '../pipeline/pipeline-deps.js';
import { RequestContext } from '../pipeline/request-context.js';
import { UpstreamPools } from '../proxy/upstream-pools.js';
import { compileApi } from '../routing/compiled-api.js';

const IN_FLIGHT = 64;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** One measured run in this process: `on` = enable_analytics. Prints one JSON line. */
async function child(on: boolean, requests: number, redisPort: number, warmup: number): Promise<void> {
  const config: GatewayConfig = { ...defaultConfig(), secret: 'x', enable_analytics: on, storage: { ...defaultConfig().storage, host: '127.0.0.1', port: redisPort } };
  const logger = pino({ level: 'silent' });
  const deps = createPipelineDeps({ config, logger });
  const registry = new Registry();
  const observers = createExchangeObservers({ config, logger, workerId: `bench:${process.pid}`, clientIp: deps.clientIp, registry });
  const pools = new UpstreamPools({ timeoutSeconds: 30 });
  const api = compileApi({
    api_id: 'bench', name: 'bench', org_id: 'bench', use_keyless: true, active: true,
    proxy: { listen_path: '/bench/', target_url: 'http://127.0.0.1:9/', strip_listen_path: true },
    version_data: { not_versioned: true, versions: { Default: { name: 'Default' } } },
  } as unknown as ApiDefinition, { pools, enableCustomDomains: false, hostname: '', pipelineDeps: deps });
  const raw = { path: Buffer.from('/bench/'), host: Buffer.from('127.0.0.1:8080'), peer: Buffer.from('127.0.0.1') };
  const ring: (RequestContext | undefined)[] = new Array(IN_FLIGHT);
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration; });
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const slot = i % IN_FLIGHT;
      const done = ring[slot];
      if (done !== undefined) {
        const now = Date.now();
        done.upstreamHeadMs = now;
        done.endMs = now;
        done.status = 200;
        observers.exchangeDone(done);
      }
      // What the front door builds per request: fresh strings from the socket, a header list, a context.
      const headers = ['host', raw.host.toString('latin1'), 'user-agent', 'tollgate/0.1.0', 'x-forwarded-for', raw.peer.toString('latin1')];
      const ctx = new RequestContext(api, 'GET', raw.path.toString('latin1'), '', 7, headers, raw.peer.toString('latin1'), api.targets[0]!, Date.now());
      ctx.upstreamSentMs = ctx.startMs;
      ring[slot] = ctx;
      if (slot === IN_FLIGHT - 1) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (let slot = 0; slot < IN_FLIGHT; slot++) {
      const done = ring[slot];
      if (done === undefined) continue;
      done.endMs = done.upstreamHeadMs = Date.now();
      done.status = 200;
      observers.exchangeDone(done);
      ring[slot] = undefined;
    }
  };
  await new Promise((r) => setTimeout(r, 300)); // Redis connected
  await run(warmup); // warm-up: JIT, pools
  await new Promise((r) => setTimeout(r, 500));
  const queuedBefore = await queued(registry);
  gc.observe({ entryTypes: ['gc'] });
  const before = process.cpuUsage();
  await run(requests);
  await observers.stop(); // hands everything buffered to Redis
  const cpu = process.cpuUsage(before);
  gc.disconnect();
  const records = (await queued(registry)) - queuedBefore;
  process.stdout.write(`${JSON.stringify({ on, requests, cpuUs: (cpu.user + cpu.system) / requests, gcUs: (gcMs * 1000) / requests, records })}\n`);
  process.exit(0);
}

async function queued(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('tollgate_analytics_queued_total')?.get();
  return metric?.values[0]?.value ?? 0;
}

async function main(): Promise<void> {
  const requests = arg('--requests', 300_000);
  const rounds = arg('--rounds', 3);
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => redis.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('Ready to accept')) resolve(); }));
  redis.stdout!.resume();
  const results: { on: boolean; cpuUs: number; gcUs: number; redisUs: number }[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      for (const on of [false, true]) {
        spawnSync('redis-cli', ['-p', String(port), 'flushall']);
        const redisBefore = procCpuMs(redis.pid!);
        const res = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', on ? 'on' : 'off', '--requests', String(requests), '--port', String(port)], { encoding: 'utf8' });
        if (res.status !== 0) throw new Error(`run failed: ${res.stderr}`);
        const line = JSON.parse(res.stdout.trim().split('\n').pop()!) as { on: boolean; cpuUs: number; gcUs: number; records: number };
        const redisUs = ((procCpuMs(redis.pid!) - redisBefore) * 1000) / requests;
        if (on && line.records !== requests) throw new Error(`${line.records} records queued for ${requests} requests`);
        results.push({ ...line, redisUs });
        console.log(`analytics ${on ? 'on ' : 'off'}: ${line.cpuUs.toFixed(2)} µs CPU/request (GC ${line.gcUs.toFixed(2)} µs), Redis ${redisUs.toFixed(2)} µs/request, ${line.records} records queued`);
      }
    }
  } finally {
    redis.kill('SIGKILL');
  }
  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
  const off = median(results.filter((r) => !r.on).map((r) => r.cpuUs));
  const on = median(results.filter((r) => r.on).map((r) => r.cpuUs));
  console.log(`median over ${rounds} round(s) of ${requests} requests: off ${off.toFixed(2)} µs, on ${on.toFixed(2)} µs → analytics ${(on - off).toFixed(2)} µs CPU per request in the worker`);
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] === 'on', arg('--requests', 300_000), arg('--port', 6379), arg('--warmup', 50_000));
} else {
  await main();
}
