import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { gatewayRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

// A load balancer that terminates TLS says so in X-Forwarded-Proto; Tyk passes it through untouched.
for (const [label, trusted, isKept] of [
  ['no security.trusted_proxy_cidrs (as Tyk): passed on from any peer', [], true],
  ['security.trusted_proxy_cidrs set and the peer not in it: replaced by the gateway\'s own', ['10.0.0.0/8'], false],
  ['security.trusted_proxy_cidrs set and the peer in it: passed on', ['127.0.0.0/8', '::1/128'], true],
] as const) {
  describe(`X-Forwarded-Proto and X-Forwarded-Host from a proxy in front, ${label}`, () => {
    let redis: RedisServer;
    let upstream: Upstream;
    let tg: Tollgate;

    before(async () => {
      redis = await startRedisServer();
      upstream = await startUpstream();
      tg = await startTollgate({ redisPort: redis.port, workers: 1, config: { security: { trusted_proxy_cidrs: trusted } } });
      const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
      await admin.ok(admin.createApi(keylessApi('fwd', '/fwd/', upstream.url)));
      await admin.reload(true);
    });
    after(async () => {
      await tg?.stop();
      await upstream?.close();
      await redis?.stop();
    });

    test(isKept ? 'the client\'s values reach the upstream' : 'the gateway\'s values reach the upstream', async () => {
      const res = await gatewayRequest(tg.gatewayUrl, '/fwd/x', {
        headers: { host: 'internal.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' },
      });
      const seen = res.echo!.headers;
      assert.equal(seen['x-forwarded-proto'], isKept ? 'https' : 'http');
      assert.equal(seen['x-forwarded-host'], isKept ? 'api.example.com' : 'internal.example');
      // Without them the gateway's own values go, whoever the peer is.
      const plain = (await gatewayRequest(tg.gatewayUrl, '/fwd/y', { headers: { host: 'internal.example' } })).echo!.headers;
      assert.deepEqual([plain['x-forwarded-proto'], plain['x-forwarded-host']], ['http', 'internal.example']);
    });
  });
}
