import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { createKey, keyedApi, rightsTo } from './support/auth-fixtures.js';
import { gatewayRequest } from './support/gateway-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

// errors-and-flags.md §4: access_logs.enabled writes one line per request, with the flag on failures.
describe('access log (access_logs.enabled)', () => {
  let redis: RedisServer;
  let upstream: Upstream;
  let tg: Tollgate;
  let key = '';

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'up' });
    tg = await startTollgate({ redisPort: redis.port, workers: 1, config: { access_logs: { enabled: true }, log_level: 'info', hash_keys: false } });
    const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi({ ...keylessApi('open', '/open/', upstream.url), name: 'Open API', org_id: 'e2e' }));
    await admin.ok(admin.createApi(keyedApi('keyed', '/keyed/', upstream.url, { use_standard_auth: true })));
    await admin.ok(admin.createApi(keylessApi('down', '/down/', 'http://127.0.0.1:9/')));
    key = await createKey(admin, 'access-log-secret-key-7f3a', { access_rights: rightsTo('keyed') });
    await admin.reload(true);
  });
  after(async () => {
    await tg?.stop();
    await upstream?.close();
    await redis?.stop();
  });

  const accessLines = (): Record<string, unknown>[] => tg.logLines('gateway').filter((l) => l.prefix === 'access-log');
  const lineFor = (originalPath: string): Promise<Record<string, unknown>> =>
    waitFor(`access-log line for ${originalPath}`, async () => accessLines().find((l) => l.original_path === originalPath));

  test('a proxied request: Tyk field names, the upstream path and latencies, no flag', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/open/a/b?x=1', {
      headers: { 'user-agent': 'e2e-agent', traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, 'x-real-ip': '203.0.113.9' },
    });
    assert.equal(res.status, 200);
    const line = await lineFor('/open/a/b');
    assert.equal(line.api_id, 'open');
    assert.equal(line.api_name, 'Open API');
    assert.equal(line.org_id, 'e2e');
    assert.equal(line.api_key, '');
    assert.equal(line.method, 'GET');
    assert.equal(line.path, '/a/b');
    assert.equal(line.status, 200);
    assert.equal(line.user_agent, 'e2e-agent');
    assert.equal(line.trace_id, TRACE);
    assert.equal(line.client_ip, '203.0.113.9');
    assert.equal(line.remote_addr, '127.0.0.1');
    assert.equal(line.protocol, 'HTTP/1.1');
    assert.equal(line.upstream_addr, upstream.url);
    assert.match(String(line.host), /^127\.0\.0\.1:\d+$/);
    for (const field of ['latency_total', 'latency_gateway', 'upstream_latency']) assert.equal(typeof line[field], 'number', field);
    assert.equal((line.latency_gateway as number) + (line.upstream_latency as number), line.latency_total);
    assert.equal(line.response_flag, undefined);
  });

  // With hash_keys (tollgate's default) the logged api_key is the key's hash; here hashing is off.
  test('an auth failure carries the flag, its details and the middleware; a key is logged obfuscated only', async () => {
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/keyed/missing')).status, 401);
    const missing = await lineFor('/keyed/missing');
    assert.deepEqual([missing.status, missing.response_flag, missing.response_code_details, missing.error_source], [401, 'AMF', 'auth_field_missing', 'AuthKey']);

    assert.equal((await gatewayRequest(tg.gatewayUrl, '/keyed/ok', { headers: { authorization: key } })).status, 200);
    const ok = await lineFor('/keyed/ok');
    assert.equal(ok.api_key, `****${key.slice(-4)}`);
    const log = readFileSync(join(tg.dir, 'gateway.log'), 'utf8');
    assert.ok(!log.includes(key), 'the key never appears in the gateway log');
  });

  test('an upstream failure names the reverse proxy and the target', async () => {
    const res = await gatewayRequest(tg.gatewayUrl, '/down/x');
    assert.equal(res.status, 500);
    const line = await lineFor('/down/x');
    assert.equal(line.response_flag, 'UCF');
    assert.equal(line.response_code_details, 'connection_refused');
    assert.equal(line.error_source, 'ReverseProxy');
    assert.equal(line.error_target, '127.0.0.1:9/x');
  });

  test('one line per request', async () => {
    const before = accessLines().length;
    for (let i = 0; i < 20; i++) assert.equal((await gatewayRequest(tg.gatewayUrl, `/open/count/${i}`)).status, 200);
    await waitFor('20 more access-log lines', async () => (accessLines().length === before + 20 ? true : undefined));
  });
});
