import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AdminClient } from './support/admin-client.js';
import { createKey, keyedApi, rightsTo } from './support/auth-fixtures.js';
import { gatewayRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

interface Counters {
  scope: string;
  api_ids: string[];
  rate: { algorithm: string; redis_key: string; capacity: number; window_ms: number; remaining: number; next_admission_in_ms: number } | null;
  quota: { redis_key: string; max: number; used: number; remaining: number; renews_in_ms: number } | null;
  endpoints: Array<{ api_id: string; method: string; path: string; redis_key: string; capacity: number; remaining: number }>;
}

// rate-limits-and-quotas.md §10.10: a key's current counters in GET /tyk/keys/{id}?debug=true.
describe('key debug form (GET /tyk/keys/{id}?debug=true)', () => {
  let redis: RedisServer;
  let upstream: Upstream;
  let tg: Tollgate;
  let admin: AdminClient;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream();
    tg = await startTollgate({ redisPort: redis.port, workers: 1, config: { rate_limit_sliding_log_max: 20 } });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keyedApi('limited', '/limited/', upstream.url, { use_standard_auth: true })));
    await admin.reload(true);
  });
  after(async () => {
    await tg?.stop();
    await upstream?.close();
    await redis?.stop();
  });

  const debugCounters = async (key: string): Promise<Counters[]> => {
    const res = await admin.call<{ tollgate_debug: { counters: Counters[] } }>('GET', `/tyk/keys/${encodeURIComponent(key)}?debug=true`);
    assert.equal(res.status, 200, res.text);
    return res.json.tollgate_debug.counters;
  };

  test('shows the sliding-log rate and the quota as requests consume them; without debug the session is unchanged', async () => {
    const key = await createKey(admin, 'debug-key-1', { access_rights: rightsTo('limited'), rate: 3, per: 60, quota_max: 10, quota_renewal_rate: 3600 });
    const [fresh] = await debugCounters(key);
    assert.equal(fresh!.rate!.algorithm, 'sliding_log');
    assert.deepEqual([fresh!.rate!.capacity, fresh!.rate!.window_ms, fresh!.rate!.remaining], [3, 60_000, 3]);
    assert.deepEqual([fresh!.quota!.max, fresh!.quota!.used, fresh!.quota!.renews_in_ms], [10, 0, -1]);
    assert.match(fresh!.rate!.redis_key, /^tg:rl:\{[0-9a-f]{64}\}$/, 'counter names carry the key hash, never the key');

    for (let i = 0; i < 3; i++) assert.equal((await gatewayRequest(tg.gatewayUrl, '/limited/x', { headers: { authorization: key } })).status, 200);
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/limited/x', { headers: { authorization: key } })).status, 429);
    const [used] = await debugCounters(key);
    assert.equal(used!.rate!.remaining, 0);
    assert.ok(used!.rate!.next_admission_in_ms > 0 && used!.rate!.next_admission_in_ms <= 60_000);
    assert.deepEqual([used!.quota!.used, used!.quota!.remaining], [3, 7], 'the refused request consumed no quota');
    assert.ok(used!.quota!.renews_in_ms > 0 && used!.quota!.renews_in_ms <= 3_600_000);
    assert.deepEqual(used!.api_ids, ['', 'limited']);

    const plain = await admin.call<Record<string, unknown>>('GET', `/tyk/keys/${encodeURIComponent(key)}`);
    assert.equal(plain.json.tollgate_debug, undefined);
  });

  test('a rate above rate_limit_sliding_log_max says it runs on GCRA', async () => {
    const key = await createKey(admin, 'debug-key-2', { access_rights: rightsTo('limited'), rate: 50, per: 10 });
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/limited/x', { headers: { authorization: key } })).status, 200);
    const [counters] = await debugCounters(key);
    assert.equal(counters!.rate!.algorithm, 'gcra');
    assert.equal(counters!.rate!.remaining, 49);
    assert.equal(counters!.quota, null);
  });
  test('shows a key endpoint limit\'s counter next to the key\'s rate', async () => {
    const key = await createKey(admin, 'debug-key-3', {
      rate: 10, per: 60, quota_max: -1,
      access_rights: { limited: { api_id: 'limited', api_name: 'limited', versions: ['Default'], endpoints: [{ path: '/slow', methods: [{ name: 'get', limit: { rate: 2, per: 60 } }] }] } },
    });
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/limited/slow', { headers: { authorization: key } })).status, 200);
    const [counters] = await debugCounters(key);
    assert.equal(counters!.rate!.remaining, 10, 'the endpoint request did not use the key\'s rate');
    assert.equal(counters!.endpoints.length, 1);
    const [ep] = counters!.endpoints;
    assert.deepEqual([ep!.api_id, ep!.method, ep!.path, ep!.capacity, ep!.remaining], ['limited', 'GET', '/slow', 2, 1]);
    assert.match(ep!.redis_key, /^tg:rl:\{[0-9a-f]{64}\}:[0-9a-f]{16}$/);
  });

  // rate-limits-and-quotas.md §8: the calling key's quota and rate on <listen_path>tyk/rate-limits/, as Tyk's PublicSession.
  test('<listen_path>tyk/rate-limits/ answers the key\'s quota (live) and rate, consumes nothing, and refuses without a key', async () => {
    const key = await createKey(admin, 'rates-key-1', { access_rights: rightsTo('limited'), rate: 5, per: 60, quota_max: 10, quota_renewal_rate: 3600 });
    const proxiedBefore = upstream.requests;
    const fresh = await gatewayRequest(tg.gatewayUrl, '/limited/tyk/rate-limits/', { headers: { authorization: key } });
    assert.equal(fresh.status, 200, fresh.text);
    const before = JSON.parse(fresh.text) as { quota: { quota_max: number; quota_remaining: number; quota_renews: number }; rate_limit: { requests: number; per_unit: number } };
    assert.deepEqual(before.rate_limit, { requests: 5, per_unit: 60 });
    assert.deepEqual([before.quota.quota_max, before.quota.quota_remaining], [10, 10]);
    assert.equal(upstream.requests, proxiedBefore, 'answered by the gateway, not proxied');
    for (let i = 0; i < 2; i++) assert.equal((await gatewayRequest(tg.gatewayUrl, '/limited/x', { headers: { authorization: key } })).status, 200);
    const after = JSON.parse((await gatewayRequest(tg.gatewayUrl, '/limited/tyk/rate-limits', { headers: { authorization: key } })).text) as typeof before;
    assert.equal(after.quota.quota_remaining, 8, 'two proxied requests; the rate-limits calls consumed nothing');
    const nowS = Date.now() / 1000;
    assert.ok(after.quota.quota_renews > nowS && after.quota.quota_renews <= nowS + 3601, String(after.quota.quota_renews));
    const anonymous = await gatewayRequest(tg.gatewayUrl, '/limited/tyk/rate-limits/');
    assert.equal(anonymous.status, 401, 'auth runs first');
    assert.equal(upstream.requests, proxiedBefore + 2, 'only the two /x requests were proxied');
  });
});
