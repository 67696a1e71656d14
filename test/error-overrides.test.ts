import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AdminClient } from './support/admin-client.js';
import { keyedApi } from './support/auth-fixtures.js';
import { gatewayRequest } from './support/gateway-client.js';
import { freePort } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

/** Tyk's error document, byte for byte. */
const body = (message: string): string => `{\n    "error": ${JSON.stringify(message)}\n}`;

describe('error overrides (errors-and-flags.md §5): API and tyk.conf rules on gateway-generated errors', () => {
  let redis: RedisServer;
  let upstream: Upstream;
  let tg: Tollgate;
  let admin: AdminClient;
  let refusedUrl: string;
  const apiRules = {
    '401': [
      { match: { flag: 'TKE' }, response: { status_code: 418 } },
      { match: { flag: 'AMF' }, response: { status_code: 400, body: '{"code":"AUTH_MISSING","status":{{.StatusCode}},"detail":"{{.Message}}"}', headers: { 'X-Error-Source': 'gateway' } } },
    ],
    '4xx': [{ match: { message_pattern: '^Access to this API' }, response: { message: 'Unknown API key' } }],
  };

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'error-overrides' });
    // Nothing listens there: the proxy step fails with ECONNREFUSED (UCF, 500 by default).
    refusedUrl = `http://127.0.0.1:${await freePort()}/`;
    tg = await startTollgate({
      redisPort: redis.port, workers: 1,
      config: {
        error_overrides: {
          '5xx': [{ match: { flag: 'UCF' }, response: { status_code: 502, message: 'Upstream unavailable', headers: { 'Retry-After': '5' } } }],
          '401': [{ response: { body: 'gateway 401' } }],
        },
      },
    });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keyedApi('eo-api', '/eo/', `${upstream.url}/`, { use_standard_auth: true, error_overrides: apiRules })));
    await admin.ok(admin.createApi(keyedApi('eo-off', '/eo-off/', `${upstream.url}/`, {
      use_standard_auth: true, error_overrides: apiRules, error_overrides_disabled: true,
    })));
    await admin.ok(admin.createApi(keyedApi('eo-down', '/eo-down/', refusedUrl, { use_keyless: true })));
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await upstream?.close();
  });

  test('API rule by flag: the 401 AMF becomes 400 with a rendered JSON body and the added header', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/eo/x');
    assert.equal(res.status, 400);
    assert.equal(res.text, '{"code":"AUTH_MISSING","status":400,"detail":"Authorization field missing"}');
    assert.equal(res.headers['x-error-source'], 'gateway');
    assert.match(String(res.headers['content-type']), /^application\/json/);
  });

  test('API class rule by message_pattern: `message` alone keeps Tyk\'s document and status (403 AKI)', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/eo/x', { headers: { authorization: 'e2e-no-such-key' } });
    assert.equal(res.status, 403);
    assert.equal(res.text, body('Unknown API key'));
    assert.equal(res.headers['x-error-source'], undefined);
  });

  test('gateway 5xx rule on an upstream-refused error (UCF): 502, new message, Retry-After', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/eo-down/x');
    assert.equal(res.status, 502);
    assert.equal(res.text, body('Upstream unavailable'));
    assert.equal(res.headers['retry-after'], '5');
  });

  test('error_overrides_disabled: the API\'s rules are ignored, the gateway\'s still apply', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/eo-off/x');
    assert.equal(res.status, 401);
    assert.equal(res.text, 'gateway 401');
    const unknownKey = await gatewayRequest(tg.gatewayUrl, '/eo-off/x', { headers: { authorization: 'e2e-no-such-key' } });
    assert.equal(unknownKey.status, 403);
    assert.equal(unknownKey.text, body('Access to this API has been disallowed'));
  });

  test('the no-route 404 is not an error document: never overridden', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/nowhere/x');
    assert.equal(res.status, 404);
    assert.equal(res.text, 'Not Found');
  });

  test('admin API: unsupported and invalid rules are refused with 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ '401': [{ response: { template: 'error_401' } }] }, /error_overrides\.401\[0\]\.response\.template: named template files/],
      [{ '500': [{ match: { body_field: 'error.code', body_value: 'X' }, response: {} }] }, /error_overrides\.500\[0\]\.match\.body_field: upstream response overriding/],
      [{ '4xx': [{ match: { message_pattern: '([' }, response: {} }] }, /error_overrides\.4xx\[0\]\.match\.message_pattern "\(\[" is not a valid regular expression/],
      [{ '401': [{ response: { status_code: 700 } }] }, /error_overrides\.401\[0\]\.response\.status_code must be an HTTP status between 100 and 599/],
      [{ '40x': [] }, /error_overrides\.40x: "40x" is not a status code/],
    ];
    for (const [rules, message] of cases) {
      const res = await admin.createApi(keyedApi('eo-bad', '/eo-bad/', `${upstream.url}/`, { error_overrides: rules }));
      assert.equal(res.status, 400, res.text);
      assert.match(res.json.message, /^Validation of API Definition failed\. Reason: /);
      assert.match(res.json.message, message);
    }
  });
});
