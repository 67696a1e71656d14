import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashKeyId } from '@tollgate/apidef';
import { AdminClient } from './support/admin-client.js';
import { keyedApi, rightsTo } from './support/auth-fixtures.js';
import { gatewayRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

/** A session as Tyk (or a migration script) would write it, without going through the admin API. */
const stored = (extra: Record<string, unknown> = {}): string => JSON.stringify({
  org_id: 'e2e', rate: 0, per: 0, quota_max: -1, expires: 0, access_rights: rightsTo('direct'), ...extra,
});

describe('local_session_cache.disable_cached_session_state: every request reads its session from Redis', () => {
  let redis: RedisServer;
  let upstream: Upstream;
  let tg: Tollgate;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'direct' });
    tg = await startTollgate({
      redisPort: redis.port, workers: 1,
      config: { hash_keys: true, local_session_cache: { disable_cached_session_state: true } },
    });
    const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keyedApi('direct', '/direct/', `${upstream.url}/`, { use_standard_auth: true })));
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  test('a session written, changed and deleted straight in Redis (no change published) is seen by the next request', async () => {
    const key = 'e2edirect-key-1';
    const record = `apikey-${hashKeyId(key)}`;
    const call = (): Promise<{ status: number; text: string }> => gatewayRequest(tg.gatewayUrl, '/direct/x', { headers: { authorization: key } });
    // Each step runs twice: the first request of a pair would fill a cache, the second would be served from it.
    for (let i = 0; i < 2; i++) assert.equal((await call()).status, 403, 'unknown key');
    await tg.redis.set(record, stored());
    for (let i = 0; i < 2; i++) assert.equal((await call()).status, 200, 'the key written behind the gateway\'s back');
    await tg.redis.set(record, stored({ is_inactive: true }));
    for (let i = 0; i < 2; i++) {
      const res = await call();
      assert.equal(res.status, 403);
      assert.match(res.text, /Key is inactive, please renew/);
    }
    await tg.redis.del(record);
    for (let i = 0; i < 2; i++) assert.equal((await call()).status, 403, 'deleted');
  });
});
