import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { gatewayRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

/**
 * CORS (api-definition.md §6) through 2 workers. Both APIs also have an IP allow list that refuses the
 * test client: a preflight is answered before it (CORS is step 2, IP lists step 4), and with
 * options_passthrough every OPTIONS skips the whole chain and reaches the upstream.
 */
describe('CORS through a running cluster', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  let upstream: Upstream;
  const refuseMe = { enable_ip_whitelisting: true, allowed_ips: ['10.0.0.0/8'] };

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'cors' });
    tg = await startTollgate({ redisPort: redis.port, workers: 2 });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('cors', '/cors/', `${upstream.url}/`, {
      ...refuseMe,
      CORS: { enable: true, allowed_origins: ['http://*.foo.com'], allowed_methods: ['GET', 'PUT'], allowed_headers: [], exposed_headers: ['x-total'], allow_credentials: true, max_age: 300 },
    })));
    await admin.ok(admin.createApi(keylessApi('open', '/open/', `${upstream.url}/`, { CORS: { enable: true } })));
    await admin.ok(admin.createApi(keylessApi('pass', '/pass/', `${upstream.url}/`, { ...refuseMe, CORS: { enable: true, options_passthrough: true } })));
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  const preflight = (path: string, origin: string, method: string, headers = '') => gatewayRequest(tg.gatewayUrl, path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) },
  });

  test('an allowed preflight gets 204 with the allow headers, before the IP list and without the upstream', async () => {
    const before = upstream.requests;
    const res = await preflight('/cors/x', 'http://app.foo.com', 'PUT', 'content-type');
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers['access-control-allow-origin'], 'http://app.foo.com');
    assert.equal(res.headers['access-control-allow-methods'], 'PUT');
    assert.equal(res.headers['access-control-allow-headers'], 'content-type');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-max-age'], '300');
    assert.equal(res.headers.vary, 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    assert.equal(upstream.requests, before);
  });

  test('a refused preflight is still 204, without allow headers', async () => {
    for (const [origin, method, headers] of [['http://evil.com', 'GET', ''], ['http://a.foo.com', 'DELETE', ''], ['http://a.foo.com', 'GET', 'x-not-allowed']]) {
      const res = await preflight('/cors/x', origin!, method!, headers);
      assert.equal(res.status, 204);
      assert.equal(res.headers['access-control-allow-origin'], undefined, `${origin} ${method} ${headers}`);
    }
  });

  test('actual requests carry Vary, allow origin, exposed headers; the upstream\'s own CORS header is replaced', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/open/x?header=access-control-allow-origin:http://upstream.example&header=vary:Accept-Encoding', {
      headers: { origin: 'http://site.example' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.deepEqual(res.headers.vary, ['Accept-Encoding', 'Origin']);
    // The IP list still applies to actual requests of the API that refuses the client.
    const refused = await gatewayRequest(tg.gatewayUrl, '/cors/x', { headers: { origin: 'http://a.foo.com' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['access-control-allow-origin'], 'http://a.foo.com', 'CORS headers go on error responses too');
    assert.equal(refused.headers['access-control-expose-headers'], 'X-Total');
  });

  test('options_passthrough: OPTIONS skips every middleware (IP list included) and reaches the upstream', async () => {
    const res = await preflight('/pass/x', 'http://a.example', 'GET');
    assert.equal(res.status, 200);
    assert.equal(res.echo?.method, 'OPTIONS');
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/pass/x')).status, 403);
  });

  test('a 204 from the upstream (HEAD too) is relayed and ends (uWS endWithoutBody regression)', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/open/x?status=204', { headers: { origin: 'http://site.example' } });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const head = await gatewayRequest(tg.gatewayUrl, '/open/x?status=204', { method: 'HEAD' });
    assert.equal(head.status, 204);
  });

  test('bad CORS settings are refused when saved', async () => {
    const res = await admin.createApi(keylessApi('badcors', '/badcors/', upstream.url, { CORS: { enable: true, allowed_origins: ['http://*.*.example'] } }));
    assert.equal(res.status, 400);
    assert.equal((res.json as { message: string }).message,
      'Validation of API Definition failed. Reason: CORS.allowed_origins[0] "http://*.*.example" may contain only one "*" wildcard.');
  });
});
