import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent } from 'undici';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { gatewayRequest } from './support/gateway-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const WORKERS = 4;
const CONCURRENCY = 8;
const TOTAL = 1500;
const UPDATES = 20;

interface LoadResult {
  readonly completed: number;
  readonly failures: string[];
  /** Target versions seen in the upstream paths, in order of first sight. */
  readonly versions: number[];
}

/**
 * CONCURRENCY loops sending GETs over keep-alive connections until at least `total` requests are done and
 * `during` (started once the first requests are done) has finished. A failure is anything other than a 200
 * answered by the upstream through the API's target path.
 */
async function runLoad(baseUrl: string, path: string, total: number, during: (progress: () => number) => Promise<void>): Promise<LoadResult> {
  const agent = new Agent({ connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
  let issued = 0;
  let completed = 0;
  let duringDone = false;
  const failures: string[] = [];
  const versions: number[] = [];
  const loop = async (): Promise<void> => {
    while ((issued < total || !duringDone) && issued < total * 50) {
      issued++;
      try {
        const res = await gatewayRequest(baseUrl, `${path}?n=${issued}`, { dispatcher: agent });
        const version = /^\/v(\d+)\/item$/.exec(res.echo?.path ?? '');
        if (res.status !== 200 || !version) failures.push(`${res.status} ${res.text.slice(0, 200)}`);
        else if (!versions.includes(Number(version[1]))) versions.push(Number(version[1]));
      } catch (err) {
        failures.push(`${(err as Error & { code?: string }).code ?? ''} ${(err as Error).message}`);
      }
      completed++;
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, loop);
  try {
    await waitFor('the first requests', async () => (completed >= 50 ? true : undefined));
    await during(() => completed);
  } finally {
    duringDone = true;
    await Promise.all(loops);
    await agent.close();
  }
  return { completed, failures, versions };
}

describe(`no request dropped (${CONCURRENCY} concurrent loops, ${TOTAL} requests, ${WORKERS} workers)`, () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  let upstream: Upstream;
  const def = (version: number) => keylessApi('steady', '/steady/', `${upstream.url}/v${version}`);

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream();
    tg = await startTollgate({ redisPort: redis.port, workers: WORKERS });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(def(0)));
    await admin.ok(admin.createApi(keylessApi('slow', '/slow/', `${upstream.url}/slow`)));
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  test(`${UPDATES} updates of the API under load: zero failed requests`, async () => {
    const result = await runLoad(tg.gatewayUrl, '/steady/item', TOTAL, async (progress) => {
      for (let v = 1; v <= UPDATES; v++) {
        // spread the updates over the run: one per ~50 completed requests
        const target = progress() + 50;
        await admin.ok(admin.updateApi('steady', def(v)));
        await waitFor('requests between updates', async () => (progress() >= target ? true : undefined));
      }
      await tg.waitForConvergence();
    });
    assert.ok(result.completed >= TOTAL);
    assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.completed} requests failed`);
    assert.ok(result.versions.length > 2, `the updates were live during the run: saw versions ${result.versions.join(', ')}`);
    const after = await gatewayRequest(tg.gatewayUrl, '/steady/item');
    assert.equal(after.echo?.path, `/v${UPDATES}/item`);
  });

  test('a worker SIGKILLed under load: only requests it was serving fail, it is replaced, requests succeed after', async (t) => {
    const before = await tg.gateway.workerPids();
    assert.equal(before.length, WORKERS);
    const victim = before[1]!;
    let replacements: number[] = [];
    const result = await runLoad(tg.gatewayUrl, '/steady/item', TOTAL, async (progress) => {
      await waitFor('load before the crash', async () => (progress() >= 300 ? true : undefined));
      process.kill(victim, 'SIGKILL');
      replacements = await waitFor('the primary to replace the worker', async () => {
        const pids = await tg.gateway.waitForWorkers(WORKERS);
        return pids.includes(victim) ? undefined : pids;
      });
    });
    t.diagnostic(`${result.failures.length} of ${result.completed} requests failed: ${result.failures.slice(0, 3).join(' | ')}`);
    assert.ok(result.failures.length <= CONCURRENCY, `${result.failures.length} failures: ${result.failures.join(' | ')}`);
    assert.equal(replacements.length, WORKERS);
    assert.equal((await tg.gateway.workerPids()).length, WORKERS);
    assert.equal((await tg.gateway.workerRevisions()).size, WORKERS, 'the new worker registered in the workers hash');

    const agent = new Agent({ connections: CONCURRENCY });
    try {
      const results = await Promise.all(Array.from({ length: 200 }, () => gatewayRequest(tg.gatewayUrl, '/steady/item', { dispatcher: agent })));
      assert.deepEqual(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`), []);
    } finally {
      await agent.close();
    }
  });

  test('SIGTERM to the gateway primary: slow requests in flight complete with 200, then it exits 0', async () => {
    const inFlight = 10;
    const agent = new Agent({ connections: inFlight });
    const baseline = upstream.inFlight;
    try {
      const pending = Array.from({ length: inFlight }, (_, i) =>
        gatewayRequest(tg.gatewayUrl, `/slow/r${i}?delay=1000`, { dispatcher: agent }));
      await waitFor('every slow request to reach the upstream', async () => (upstream.inFlight - baseline >= inFlight ? true : undefined));
      process.kill(tg.gateway.pid, 'SIGTERM');
      const results = await Promise.all(pending);
      assert.deepEqual(results.map((r) => r.status), Array(inFlight).fill(200), results.map((r) => r.text).join('\n'));
      results.forEach((r, i) => assert.equal(r.echo?.path, `/slow/r${i}`));
      const exit = await Promise.race([
        tg.gateway.exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`gateway did not exit\n${tg.logs()}`)), 40_000).unref()),
      ]);
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.deepEqual(await tg.gateway.workerPids(), []);
    } finally {
      await agent.close();
    }
  });
});
