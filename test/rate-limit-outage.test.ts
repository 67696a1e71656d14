import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import { Agent } from 'undici';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { createKey, keyedApi, rightsTo } from './support/auth-fixtures.js';
import { gatewayRequest } from './support/gateway-client.js';
import { sleep, waitFor } from './support/processes.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const LIMIT = 40;
const COUNTER = 'tg:arl:{api:outage}';

/**
 * Redis stops under a bounded load and comes back (rate-limits-and-quotas.md §7): the gateway keeps
 * serving its configured APIs, every request gets an answer within the limiter's short deadline, the
 * default `local` mode keeps each worker to its share, and limits are exact again once Redis answers.
 * Redis keeps its data across the restart (SAVE before stopping), as a production Redis with persistence
 * would: configuration and counters survive.
 */
describe('rate limits while Redis stops and restarts (2 workers, rate_limit_failure_mode local)', () => {
  let dir: string;
  let redis: TestRedisServer;
  let tg: Tollgate;
  let upstream: Upstream;
  let workerPids: number[];
  let key: string;
  const dispatcher = new Agent({ connections: 50 });
  const persistence = (): string[] => ['--dir', dir, '--dbfilename', 'dump.rdb'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-outage-'));
    redis = await startTestRedis({ extraArgs: persistence() });
    upstream = await startUpstream({ name: 'outage' });
    tg = await startTollgate({ redisPort: redis.port, workers: 2, config: { rate_limit_storage_timeout_ms: 100, rate_limit_degraded_log_interval: 1, log_level: 'info' } });
    const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('outage', '/outage/', `${upstream.url}/`, { global_rate_limit: { rate: LIMIT, per: 3600 } })));
    await admin.ok(admin.createApi(keyedApi('outage-keyed', '/outage-keyed/', `${upstream.url}/`, { use_standard_auth: true })));
    await admin.ok(admin.reload(true));
    key = await createKey(admin, 'outage-key', { rate: 0, per: 0, quota_max: 1000, quota_renewal_rate: 3600, access_rights: rightsTo('outage-keyed') });
    workerPids = await tg.gateway.workerPids();
    assert.equal(workerPids.length, 2);
    // Each worker refreshes the cluster's live worker count (its divisor in local mode) once a second.
    await sleep(1500);
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
    await dispatcher.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `total` requests, `concurrency` at a time; every status (a hang fails the test through undici's timeout). */
  async function load(total: number, concurrency: number, path = '/outage/x', headers: Record<string, string> = {}): Promise<number[]> {
    const statuses: number[] = [];
    for (let sent = 0; sent < total; sent += concurrency) {
      const batch = await Promise.all(Array.from({ length: Math.min(concurrency, total - sent) }, () =>
        gatewayRequest(tg.gatewayUrl, path, { dispatcher, headers })));
      statuses.push(...batch.map((r) => r.status));
    }
    return statuses;
  }

  test('keeps serving, stays within each worker\'s share, and is exact again after Redis returns', async () => {
    const first = await load(10, 10);
    assert.deepEqual(first, Array(10).fill(200));
    // The key's session is now cached by both workers (many connections spread over them).
    assert.deepEqual(await load(20, 10, '/outage-keyed/x', { authorization: key }), Array(20).fill(200));
    assert.equal(await tg.redis.llen(COUNTER), 10);
    await tg.redis.save();
    await redis.stop();

    // Outage: every request is answered; at most LIMIT/2 per worker are admitted.
    const during = await load(60, 10);
    const admitted = during.filter((s) => s === 200).length;
    assert.ok(during.every((s) => s === 200 || s === 429), JSON.stringify(during));
    assert.ok(admitted >= 1 && admitted <= LIMIT, `${admitted} admitted during the outage`);
    assert.ok(during.includes(429), 'the local share refuses past it');
    // A cached session keeps working; its quota is enforced locally (each worker's share of what was left).
    assert.deepEqual(await load(20, 10, '/outage-keyed/x', { authorization: key }), Array(20).fill(200));
    assert.deepEqual(await tg.gateway.workerPids(), workerPids, 'no worker crashed');
    assert.match(tg.logs(), /rate_limit_failure_mode local decides/);

    redis = await startTestRedis({ port: redis.port, extraArgs: persistence() });
    // Both workers' limit connections are back (ioredis reconnects by itself, with backoff).
    await waitFor('both workers\' limit connections', async () => {
      const clients = String(await tg.redis.client('LIST'));
      return (clients.match(/name=tollgate:gateway:limits/g) ?? []).length === 2 ? true : undefined;
    }, 30_000);
    await sleep(50);
    const used = await tg.redis.llen(COUNTER);
    assert.equal(used, 10, 'outage admissions were local; the shared counter is as Redis kept it');
    const afterRecovery = await load(60, 20);
    assert.equal(afterRecovery.filter((s) => s === 200).length, LIMIT - used, 'exact again');
    assert.equal(await tg.redis.llen(COUNTER), LIMIT);
    assert.match(tg.logs(), /rate limits exact again/);
  });
});
