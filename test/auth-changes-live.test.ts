import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AdminClient } from './support/admin-client.js';
import { createKey, keyedApi, putPolicy, rightsTo } from './support/auth-fixtures.js';
import { rawRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

/** Requests per round, each on a new connection, so the kernel spreads them over both workers. */
const ROUND = 24;
/**
 * How long a change may take to reach every worker. The spec asks for one second; the bound here is wider
 * only to absorb a loaded CI machine. The session cache itself never expires entries this fast, so a pass
 * shows the change feed (not a TTL) invalidated every worker.
 */
const PROPAGATION_BOUND_MS = 3000;

describe('key and policy changes are live on every worker (2 workers)', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let upstream: Upstream;
  let admin: AdminClient;

  const round = async (key: string): Promise<number[]> => {
    const statuses: number[] = [];
    for (let i = 0; i < ROUND; i++) statuses.push((await rawRequest(tg.gatewayPort, '/live/x', 'GET', { authorization: key })).status);
    return statuses;
  };
  /** Polls rounds until every answer is `status`; returns the elapsed ms, or fails with the last round. */
  const until = async (key: string, status: number): Promise<number> => {
    const start = Date.now();
    let last: number[] = [];
    while (Date.now() - start < PROPAGATION_BOUND_MS) {
      last = await round(key);
      if (last.every((s) => s === status)) return Date.now() - start;
    }
    assert.fail(`after ${PROPAGATION_BOUND_MS} ms still ${JSON.stringify(last)}`);
  };

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'live' });
    tg = await startTollgate({ redisPort: redis.port, workers: 2, config: { hash_keys: true } });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keyedApi('live', '/live/', `${upstream.url}/`, { use_standard_auth: true })));
    await putPolicy(admin, { id: 'live-policy', name: 'live', rate: 0, per: 0, quota_max: -1, access_rights: rightsTo('live') });
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  test('a deleted key is refused by every worker, whose caches held it', async (t) => {
    const key = await createKey(admin, 'delete-me', { access_rights: rightsTo('live') });
    assert.deepEqual(new Set(await round(key)), new Set([200]));
    assert.deepEqual(new Set(await round(key)), new Set([200]));
    const res = await admin.call('DELETE', `/tyk/keys/${encodeURIComponent(key)}`);
    assert.equal(res.status, 200, res.text);
    t.diagnostic(`all ${ROUND} fresh connections refused ${await until(key, 403)} ms after the DELETE answered`);
  });

  test('a changed key (made inactive) is refused by every worker', async () => {
    const key = await createKey(admin, 'change-me', { access_rights: rightsTo('live') });
    await until(key, 200);
    const res = await admin.call('PUT', `/tyk/keys/${encodeURIComponent(key)}`, { org_id: 'e2e', is_inactive: true, access_rights: rightsTo('live') });
    assert.equal(res.status, 200, res.text);
    await until(key, 403);
  });

  test('a changed policy reaches every session that uses it: access removed, then restored', async (t) => {
    const key = await createKey(admin, 'policy-user', { apply_policies: ['live-policy'] });
    await until(key, 200);
    await putPolicy(admin, { id: 'live-policy', name: 'live', rate: 0, per: 0, quota_max: -1, access_rights: rightsTo('elsewhere') }, true);
    t.diagnostic(`policy change live on every worker after ${await until(key, 403)} ms`);
    await putPolicy(admin, { id: 'live-policy', name: 'live', rate: 0, per: 0, quota_max: -1, access_rights: rightsTo('live') }, true);
    await until(key, 200);
  });
});
