import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { generateCertificate } from '@tollgate/store';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { gatewayRequest } from './support/gateway-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

interface Received { readonly path: string; readonly headers: Record<string, unknown>; readonly body: Record<string, string> }

/** A webhook receiver that fails the first `failFirst` deliveries with 500, then records them. */
async function startReceiver(failFirst: number): Promise<{ url: string; received: Received[]; attempts: number; close(): Promise<void> }> {
  const state = { received: [] as Received[], attempts: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.attempts++;
      if (state.attempts <= failFirst) {
        res.writeHead(500).end();
        return;
      }
      state.received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string> });
      res.writeHead(200).end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get received() { return state.received; },
    get attempts() { return state.attempts; },
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** event_handlers webhooks, queued by gateway workers and the control plane, delivered with retries. */
describe('event webhooks through a running cluster', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  let upstream: Upstream;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'ev' });
    receiver = await startReceiver(2);
    tg = await startTollgate({
      redisPort: redis.port, workers: 2,
      config: {
        uptime_tests: { config: { time_wait: 0.3, failure_trigger_sample_size: 1 } },
        security: { certificate_expiry_monitor: { check_interval_seconds: 1, warning_threshold_days: 30 } },
      },
    });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await Promise.all([upstream?.close(), receiver?.close()]);
  });

  const webhook = (path: string, extra: Record<string, unknown> = {}) => ({
    handler_name: 'eh_web_hook_handler',
    handler_meta: { method: 'POST', target_path: `${receiver.url}${path}`, header_map: { 'x-hook': 'tollgate' }, event_timeout: 60, ...extra },
  });

  test('VersionFailure from a gateway worker reaches the webhook after failed attempts are retried, once per event_timeout', async () => {
    await admin.ok(admin.createApi(keylessApi('ev', '/ev/', `${upstream.url}/`, {
      definition: { location: 'header', key: 'x-api-version' },
      version_data: { not_versioned: false, default_version: 'v1', versions: { v1: {} } },
      event_handlers: { events: { VersionFailure: [webhook('/version')] } },
    })));
    await tg.waitForConvergence();
    for (let i = 0; i < 3; i++) assert.equal((await gatewayRequest(tg.gatewayUrl, '/ev/x', { headers: { 'x-api-version': 'v9' } })).status, 403);
    const delivered = await waitFor('the VersionFailure webhook', async () => receiver.received.find((r) => r.path === '/version'), 20_000);
    assert.equal(delivered.body.event, 'VersionFailure');
    assert.equal(delivered.body.message, 'This API version does not seem to exist');
    assert.equal(delivered.body.path, '/ev/x');
    assert.equal(delivered.body.origin, '127.0.0.1');
    assert.equal(delivered.body.api_id, 'ev');
    assert.equal(delivered.headers['x-hook'], 'tollgate');
    assert.ok(receiver.attempts >= 3, 'two failed attempts were retried');
    // Same notification within event_timeout (60 s): the other requests, on either worker, sent nothing more.
    await gatewayRequest(tg.gatewayUrl, '/ev/x', { headers: { 'x-api-version': 'v9' } });
    assert.equal(receiver.received.filter((r) => r.path === '/version').length, 1);
  });

  test('RatelimitExceeded from a gateway worker\'s API-wide limit reaches the webhook', async () => {
    await admin.ok(admin.createApi(keylessApi('rl', '/rl/', `${upstream.url}/`, {
      global_rate_limit: { rate: 2, per: 60 },
      event_handlers: { events: { RatelimitExceeded: [webhook('/ratelimit')] } },
    })));
    await tg.waitForConvergence();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await gatewayRequest(tg.gatewayUrl, '/rl/x')).status);
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    const delivered = await waitFor('the RatelimitExceeded webhook', async () => receiver.received.find((r) => r.path === '/ratelimit'), 20_000);
    assert.equal(delivered.body.event, 'RatelimitExceeded');
    assert.equal(delivered.body.api_id, 'rl');
  });

  test('HostDown from the control plane\'s uptime checks reaches the webhook', async () => {
    await admin.ok(admin.createApi(keylessApi('hd', '/hd/', `${upstream.url}/`, {
      uptime_tests: { check_list: [{ url: `${upstream.url}/health?status=500` }] },
      event_handlers: { events: { HostDown: [webhook('/host')] } },
    })));
    const delivered = await waitFor('the HostDown webhook', async () => receiver.received.find((r) => r.path === '/host'), 20_000);
    assert.equal(delivered.body.event, 'HostDown');
    assert.equal(delivered.body.api_id, 'hd');
    assert.match(delivered.body.message ?? "", /^host 127\.0\.0\.1:\d+ is down$/);
  });

  test('CertificateExpiringSoon from the control plane\'s expiry job reaches the webhook of an API using the certificate', async () => {
    const soon = generateCertificate({ commonName: 'soon.example', notAfter: new Date(Date.now() + 5 * 86_400_000) });
    const uploaded = await admin.call<{ id: string }>('POST', '/tyk/certs?org_id=e2e', soon.certPem);
    assert.equal(uploaded.status, 200, uploaded.text);
    await admin.ok(admin.createApi(keylessApi('certapi', '/certapi/', `${upstream.url}/`, {
      client_certificates: [uploaded.json.id],
      event_handlers: { events: { CertificateExpiringSoon: [webhook('/cert')] } },
    })));
    const delivered = await waitFor('the CertificateExpiringSoon webhook', async () => receiver.received.find((r) => r.path === '/cert'), 20_000);
    assert.equal(delivered.body.event, 'CertificateExpiringSoon');
    assert.equal(delivered.body.api_id, 'certapi');
    assert.equal(delivered.body.key, uploaded.json.id);
    assert.match(delivered.body.message ?? '', /^certificate \S+ expires in [45] days/);
  });

  test('bad event handlers are refused when saved', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ events: { NoSuchEvent: [webhook('/x')] } }, 'event_handlers.events.NoSuchEvent: unknown event "NoSuchEvent"'],
      [{ events: { AuthFailure: [{ handler_name: 'eh_web_hook_handler', handler_meta: { target_path: 'not a url' } }] } },
        'event_handlers.events.AuthFailure[0].handler_meta.target_path "not a url" is not a valid http(s) URL'],
      [{ events: { AuthFailure: [{ handler_name: 'eh_smoke_signal' }] } }, 'event_handlers.events.AuthFailure[0].handler_name "eh_smoke_signal" is not a known handler'],
    ];
    for (const [handlers, reason] of cases) {
      const res = await admin.createApi(keylessApi('badev', '/badev/', `${upstream.url}/`, { event_handlers: handlers }));
      assert.equal(res.status, 400, res.text);
      assert.equal((res.json as { message: string }).message, `Validation of API Definition failed. Reason: ${reason}.`);
    }
  });
});
