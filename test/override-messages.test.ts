import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AdminClient } from './support/admin-client.js';
import { createKey, keyedApi, rightsTo } from './support/auth-fixtures.js';
import { gatewayRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

/** Tyk's error document, byte for byte. */
const body = (message: string): string => `{\n    "error": ${JSON.stringify(message)}\n}`;

describe('tyk.conf override_messages replace the code and message of an error ID (auth.md §11)', () => {
  let redis: RedisServer;
  let upstream: Upstream;
  let tg: Tollgate;
  let key: string;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'overrides' });
    tg = await startTollgate({
      redisPort: redis.port, workers: 1,
      config: {
        override_messages: {
          'auth.auth_field_missing': { code: 400, message: 'Send your API key in the Authorization header' },
          'auth.key_not_found': { message: 'Unknown API key' },
        },
      },
    });
    const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keyedApi('token', '/token/', `${upstream.url}/`, { use_standard_auth: true })));
    await admin.ok(admin.createApi(keyedApi('basic', '/basic/', `${upstream.url}/`, { use_basic_auth: true, name: 'Basic Shop' })));
    key = await createKey(admin, 'override-key', { access_rights: rightsTo('token') });
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  test('auth.auth_field_missing: no credential gets the configured status and message in Tyk\'s error document', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/token/x');
    assert.equal(res.status, 400);
    assert.equal(res.text, body('Send your API key in the Authorization header'));
    assert.match(String(res.headers['content-type']), /^application\/json/);
  });

  test('auth.key_not_found with only a message: the status stays 403', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/token/x', { headers: { authorization: 'e2eno-such-key' } });
    assert.equal(res.status, 403);
    assert.equal(res.text, body('Unknown API key'));
  });

  test('errors under no overridden ID keep Tyk\'s defaults: basic auth\'s missing credential; a valid key passes', async () => {
    const basic = await gatewayRequest(tg.gatewayUrl, '/basic/x');
    assert.equal(basic.status, 401);
    assert.equal(basic.text, body('Authorization field missing'));
    assert.equal(basic.headers['www-authenticate'], 'Basic realm="Basic Shop"');
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/token/x', { headers: { authorization: key } })).status, 200);
  });
});
