import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { gatewayRequest, rawRequest } from './support/gateway-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

/** cache_options (api-definition.md §11) through 2 workers sharing one Redis. */
describe('response cache through a running cluster', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  let upstream: Upstream;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'cache' });
    tg = await startTollgate({ redisPort: redis.port, workers: 2 });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('cached', '/cached/', `${upstream.url}/`, {
      cache_options: { enable_cache: true, cache_all_safe_requests: true, cache_timeout: 120, cache_response_codes: [200] },
    })));
    await admin.ok(admin.createApi(keylessApi('upctl', '/upctl/', `${upstream.url}/`, {
      cache_options: { enable_cache: true, cache_all_safe_requests: true, enable_upstream_cache_control: true, cache_timeout: 30 },
    })));
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  /** The entry is written after the response went out: wait (bounded) until it is in Redis. */
  const storedKeys = (pattern: string, n: number) => waitFor(`${n} cache entries ${pattern}`, async () => {
    const keys = await tg.redis.keys(pattern);
    return keys.length >= n ? keys : undefined;
  }, 5000);

  /** A fresh connection per request, so requests spread over both workers. */
  const fresh = (path: string, method = 'GET') => rawRequest(tg.gatewayPort, path, method, {});

  test('a safe request is cached once and served to every worker from Redis, marked x-tyk-cached-response', async () => {
    const first = await fresh('/cached/item?id=1');
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-tyk-cached-response'], undefined);
    const calls = upstream.requests;
    const keys = await storedKeys('cache-cached:*', 1);
    assert.equal(keys.length, 1);
    const ttl = await tg.redis.ttl(keys[0]!);
    assert.ok(ttl > 0 && ttl <= 120, `TTL ${ttl}`);
    for (let i = 0; i < 8; i++) {
      const res = await fresh('/cached/item?id=1');
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-tyk-cached-response'], '1');
      assert.equal(res.text, first.text, 'the cached body is the upstream body');
      assert.equal(res.headers['x-upstream'], 'cache');
      assert.equal(res.headers['content-type'], 'application/json');
    }
    assert.equal(upstream.requests, calls, 'no further upstream call from either worker');
  });

  test('a different query, an unsafe method, and a status outside cache_response_codes are not served from cache', async () => {
    const calls = upstream.requests;
    assert.equal((await fresh('/cached/item?id=2')).headers['x-tyk-cached-response'], undefined);
    for (let i = 0; i < 2; i++) {
      assert.equal((await gatewayRequest(tg.gatewayUrl, '/cached/item?id=1', { method: 'POST', body: 'x' })).headers['x-tyk-cached-response'], undefined);
      assert.equal((await fresh('/cached/fail?status=500')).headers['x-tyk-cached-response'], undefined);
    }
    assert.equal(upstream.requests, calls + 5);
  });

  test('enable_upstream_cache_control: only marked responses are cached, for the TTL the upstream names', async () => {
    const calls = upstream.requests;
    await fresh('/upctl/plain');
    assert.equal((await fresh('/upctl/plain')).headers['x-tyk-cached-response'], undefined);
    const marked = '/upctl/marked?header=x-tyk-cache-action-set:1&header=x-tyk-cache-action-set-ttl:300';
    await fresh(marked);
    const keys = await storedKeys('cache-upctl:*', 1);
    assert.equal((await fresh(marked)).headers['x-tyk-cached-response'], '1');
    assert.equal(upstream.requests, calls + 3);
    assert.equal(keys.length, 1);
    const ttl = await tg.redis.ttl(keys[0]!);
    assert.ok(ttl > 30 && ttl <= 300, `TTL ${ttl}`);
  });

  test('DELETE /tyk/cache/{api_id} empties the API\'s cache', async () => {
    const before = (await tg.redis.keys('cache-cached:*')).length;
    await fresh('/cached/item?id=9');
    // The entry is written after the response went out: wait for it, or the DELETE could precede it.
    await storedKeys('cache-cached:*', before + 1);
    const res = await admin.call('DELETE', '/tyk/cache/cached');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ok', message: 'cache invalidated' });
    assert.deepEqual(await tg.redis.keys('cache-cached:*'), []);
    assert.equal((await fresh('/cached/item?id=9')).headers['x-tyk-cached-response'], undefined);
    assert.equal((await admin.call('GET', '/tyk/cache/cached')).status, 405);
  });

  test('bad cache options are refused when saved', async () => {
    const res = await admin.createApi(keylessApi('badcache', '/badcache/', upstream.url, { cache_options: { enable_cache: true, cache_response_codes: [200, 700] } }));
    assert.equal(res.status, 400);
    assert.equal((res.json as { message: string }).message,
      'Validation of API Definition failed. Reason: cache_options.cache_response_codes[1] 700 is not an HTTP status code.');
    const negative = await admin.createApi(keylessApi('badcache', '/badcache/', upstream.url, { cache_options: { enable_cache: true, cache_timeout: -1 } }));
    assert.equal(negative.status, 400);
  });
});
