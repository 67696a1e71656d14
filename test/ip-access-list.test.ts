import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { gatewayRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const IP_DISALLOWED = '{\n    "error": "access from this IP has been disallowed"\n}';

// The test client always connects from 127.0.0.1; other client addresses come through X-Real-IP and
// X-Forwarded-For, which the gateway trusts because 127.0.0.0/8 is listed in security.trusted_proxy_cidrs.
describe('IP allow and block lists through a running cluster (2 workers)', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let upstream: Upstream;
  let admin: AdminClient;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'ip' });
    tg = await startTollgate({ redisPort: redis.port, workers: 2, config: { security: { trusted_proxy_cidrs: ['127.0.0.0/8', '::1/128'] } } });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('allow', '/allow/', `${upstream.url}/`, {
      enable_ip_whitelisting: true, allowed_ips: ['10.0.0.0/8', '2001:db8::/32', '198.51.100.7'],
    })));
    await admin.ok(admin.createApi(keylessApi('block', '/block/', `${upstream.url}/`, {
      enable_ip_blacklisting: true, blacklisted_ips: ['203.0.113.0/24'],
    })));
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  const from = (path: string, headers: Record<string, string>) => gatewayRequest(tg.gatewayUrl, path, { headers });

  test('allow list admits listed addresses and CIDRs, IPv4 and IPv6', async () => {
    for (const ip of ['10.1.2.3', '198.51.100.7', '2001:db8::42']) {
      const res = await from('/allow/x', { 'x-real-ip': ip });
      assert.equal(res.status, 200, `${ip}: ${res.text}`);
    }
  });

  test('allow list refuses everyone else with Tyk\'s 403 body, before reaching the upstream', async () => {
    for (const ip of ['11.0.0.1', '198.51.100.8', '2001:db9::1']) {
      const res = await from('/allow/x', { 'x-real-ip': ip });
      assert.equal(res.status, 403, ip);
      assert.equal(res.text, IP_DISALLOWED);
      assert.equal(res.headers['content-type'], 'application/json');
    }
    // The socket peer (127.0.0.1) is not listed either.
    assert.equal((await from('/allow/x', {})).status, 403);
  });

  test('block list refuses listed ranges, X-Forwarded-For leftmost entry by default', async () => {
    assert.equal((await from('/block/x', { 'x-forwarded-for': '203.0.113.50, 10.0.0.1' })).status, 403);
    assert.equal((await from('/block/x', { 'x-forwarded-for': '10.0.0.1, 203.0.113.50' })).status, 200);
    assert.equal((await from('/block/x', {})).status, 200);
  });

  test('a refused request with a body gets the 403 and the connection is not confused by the unread body', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/allow/upload', {
      method: 'POST', headers: { 'x-real-ip': '11.0.0.1' }, body: Buffer.alloc(200_000, 1),
    });
    assert.equal(res.status, 403);
    assert.equal((await from('/allow/x', { 'x-real-ip': '10.0.0.9' })).status, 200);
  });

  test('an invalid IP or CIDR is refused when the definition is saved, naming the entry', async () => {
    for (const bad of ['10.0.0.0/33', '1.2.3', 'not-an-ip']) {
      const res = await admin.createApi(keylessApi(`bad-${bad.replace(/[^a-z0-9]/gi, '')}`, '/bad-ip/', `${upstream.url}/`, {
        enable_ip_whitelisting: true, allowed_ips: ['10.0.0.1', bad],
      }));
      assert.equal(res.status, 400, bad);
      assert.match(res.text, new RegExp(`invalid IP/CIDR \\\\?"${bad.replace(/\./g, '\\.')}`));
    }
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/bad-ip/x', {})).status, 404, 'nothing was stored');
  });
});
