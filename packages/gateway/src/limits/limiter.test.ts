import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RateLimitFailureMode } from '@tollgate/apidef';
import { createRedisClient, keyLayout, limitKeys, quotaCheck, rateCheck, waitForReady, type LimitCheck, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createRateLimitMetrics } from './limit-metrics.js';
import { Limiter } from './limiter.js';

const metricsRegistry = new Registry();
const metrics = createRateLimitMetrics(metricsRegistry);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let unique = 0;
const key = (label: string): string => limitKeys.apiRate(`${label}-${process.pid}-${++unique}`);

/** Log lines the limiter wrote (warn and above), to check "once per interval". */
function capturingLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => { lines.push(line); } });
  return { logger, lines };
}

async function degradedCount(mode: string): Promise<number> {
  const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === 'tollgate_rate_limit_degraded_total');
  return (metric?.values ?? []).filter((v) => v.labels.mode === mode).reduce((a, v) => a + v.value, 0);
}

describe('Limiter: rate_limit_failure_mode while Redis is away', () => {
  let server: TestRedisServer;
  let port: number;
  let admin: RedisClient;
  const clients: RedisClient[] = [];

  async function limiter(mode: RateLimitFailureMode, logger = pino({ level: 'silent' })): Promise<Limiter> {
    const client = createRedisClient({ host: '127.0.0.1', port }, { name: `test:${mode}`, commandTimeoutMs: 100, offlineQueue: false, autoPipelining: true });
    client.on('error', () => undefined);
    clients.push(client);
    await waitForReady(client, 5000);
    return new Limiter({ redis: client, mode, logger, logIntervalMs: 60_000, metrics });
  }

  /** Starts the test's redis-server again on the same port (empty: nothing was persisted). */
  async function restart(): Promise<void> {
    server = await startTestRedis({ port });
  }

  before(async () => {
    server = await startTestRedis();
    port = server.port;
    admin = createRedisClient({ host: '127.0.0.1', port }, { name: 'test:admin' });
    admin.on('error', () => undefined);
  });
  after(async () => {
    clients.forEach((c) => c.disconnect());
    admin.disconnect();
    await server.stop();
  });

  it('open admits, closed refuses (null), local enforces this worker\'s share; every decision is counted and logged once per interval, then Redis is exact again', async () => {
    const { logger, lines } = capturingLogger();
    const open = await limiter('open');
    const closed = await limiter('closed');
    const local = await limiter('local', logger);
    // Four live workers in the cluster: the local mode divides by them.
    const now = Date.now();
    await admin.hset(keyLayout.workers, 'a:1', `1:${now}`, 'a:2', `1:${now}`, 'b:1', `1:${now}`, 'b:2', `1:${now}`);
    local.start();
    for (let i = 0; i < 50 && local.workerCount !== 4; i++) await sleep(20);
    assert.equal(local.workerCount, 4);
    local.stop();

    const rate = [rateCheck(key('local'), 8, 60_000)];
    const quotaKey = keyLayout.quotaCounter('', `k-${process.pid}`);
    const quota = [quotaCheck(quotaKey, 100, 3600)];
    for (let i = 0; i < 3; i++) assert.equal((await local.check(quota))?.admitted, true);
    assert.equal((await local.check(quota))?.remaining(0), 96, 'exact while Redis answers');

    const degradedBefore = await degradedCount('local');
    await server.stop();
    assert.equal((await open.check(rate))?.admitted, true);
    assert.equal(await closed.check(rate), null);
    const admitted = [];
    for (let i = 0; i < 4; i++) admitted.push((await local.check(rate))!.admitted);
    assert.deepEqual(admitted, [true, true, false, false], '8 per window over 4 workers: 2 here');
    let quotaAdmitted = 0;
    for (let i = 0; i < 30; i++) if ((await local.check(quota))!.admitted) quotaAdmitted++;
    assert.equal(quotaAdmitted, 24, 'a quarter of the 96 left when Redis was last seen');
    assert.equal(await degradedCount('local') - degradedBefore, 34);
    const warnings = lines.filter((l) => l.includes('rate_limit_failure_mode local'));
    assert.equal(warnings.length, 1, 'logged once per interval');

    await restart();
    const fresh = [rateCheck(key('after'), 1, 60_000)];
    let outcome = await local.check(fresh);
    for (let i = 0; i < 200 && (await admin.exists(fresh[0]!.key).catch(() => 0)) === 0; i++) {
      await sleep(25);
      outcome = await local.check(fresh);
    }
    assert.equal(await admin.exists(fresh[0]!.key), 1, 'checks reach Redis again by themselves');
    assert.equal((await local.check(fresh))!.admitted, false, 'exact again: capacity 1 is used up');
    assert.ok(outcome !== null);
    assert.ok(lines.some((l) => l.includes('rate limits exact again')));
  });

  it('a Redis that hangs (SIGSTOP) does not hold a check longer than the command timeout', async () => {
    const closed = await limiter('closed');
    const checks: LimitCheck[] = [rateCheck(key('hang'), 5, 60_000)];
    assert.notEqual(await closed.check(checks), null);
    process.kill(server.pid, 'SIGSTOP');
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => closed.check(checks)));
      assert.ok(results.every((r) => r === null), 'each check resolved with the closed-mode decision');
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
  });
});
