import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { gatewayRequest } from './support/gateway-client.js';
import { scrape, sum } from './support/metrics-client.js';
import { freePort, waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

/** A discovery endpoint whose answer the test sets. */
async function startDiscovery(): Promise<{ url: string; answer: { status: number; body: unknown }; close(): Promise<void> }> {
  const state = { status: 200, body: {} as unknown };
  const server: Server = createServer((_req, res) => {
    res.writeHead(state.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(state.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/catalog`,
    answer: state,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** Uptime tests (control-plane BullMQ job) and service discovery through a running cluster (2 workers). */
describe('uptime tests and service discovery', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  let a: Upstream;
  let b: Upstream;
  let sd: Awaited<ReturnType<typeof startDiscovery>>;

  before(async () => {
    redis = await startRedisServer();
    [a, b] = await Promise.all([startUpstream({ name: 'a' }), startUpstream({ name: 'b' })]);
    sd = await startDiscovery();
    tg = await startTollgate({
      redisPort: redis.port, workers: 2,
      config: { uptime_tests: { config: { time_wait: 0.3, failure_trigger_sample_size: 2 } } },
    });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    await Promise.all([a?.close(), b?.close(), sd?.close()]);
  });

  /** Upstream names answering `n` requests over fresh connections (both workers). */
  const names = async (path: string, n = 8): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const res = await gatewayRequest(tg.gatewayUrl, path);
      seen.add(res.echo?.upstream ?? `${res.status} ${res.text.trim()}`);
    }
    return seen;
  };
  const lbApi = (bCheck: string) => keylessApi('lb', '/lb/', '', {
    proxy: { enable_load_balancing: true, target_list: [a.url, b.url], check_host_against_uptime_tests: true },
    uptime_tests: { check_list: [{ url: `${a.url}/health` }, { url: `${b.url}/health${bCheck}` }] },
  });

  test('a host failing its checks is skipped by load balancing, and used again once it passes', async () => {
    await admin.ok(admin.createApi(lbApi('?status=500')));
    await waitFor('b marked down', async () => ((await tg.redis.hkeys('{tollgate:uptime}:down')).includes(new URL(b.url).host) ? true : undefined), 15_000);
    await tg.waitForConvergence();
    await waitFor('workers to skip b', async () => ((await names('/lb/x')).has('b') ? undefined : true), 10_000);
    assert.deepEqual(await names('/lb/x'), new Set(['a']));
    await admin.ok(admin.updateApi('lb', lbApi('')));
    await waitFor('b up again', async () => ((await tg.redis.hkeys('{tollgate:uptime}:down')).length === 0 ? true : undefined), 15_000);
    await waitFor('b used again', async () => ((await names('/lb/x')).has('b') ? true : undefined), 10_000);
  });

  test('every target down: 503 all hosts are down', async () => {
    const c = await startUpstream({ name: 'c' });
    after(() => c.close());
    await admin.ok(admin.createApi(keylessApi('single', '/single/', `${c.url}/`, {
      proxy: { check_host_against_uptime_tests: true },
      uptime_tests: { check_list: [{ url: `${c.url}/deep-health?status=503` }] },
    })));
    const res = await waitFor('503 from the single API', async () => {
      const r = await gatewayRequest(tg.gatewayUrl, '/single/x');
      return r.status === 503 ? r : undefined;
    }, 15_000);
    assert.equal(res.text, 'all hosts are down\n');
    // The pipeline runs before the proxy step, as in Tyk: a keyed API with its hosts down still asks for the key.
    await admin.ok(admin.createApi({
      ...keylessApi('guarded', '/guarded/', `${c.url}/`, { proxy: { check_host_against_uptime_tests: true } }), use_keyless: false, use_standard_auth: true,
    }));
    await tg.waitForConvergence();
    const unauthenticated = await gatewayRequest(tg.gatewayUrl, '/guarded/x');
    assert.equal(unauthenticated.status, 401);
    // Counted like every request that reached an API (it was not before: it never got a request context).
    const before = sum(await scrape(tg.metricsUrl), 'tyk_http_status', { api: 'single', code: '503' });
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/single/y')).status, 503);
    assert.equal(sum(await scrape(tg.metricsUrl), 'tyk_http_status', { api: 'single', code: '503' }), before + 1);
    await admin.ok(admin.deleteApi('guarded'));
    await admin.ok(admin.deleteApi('single'));
    assert.equal(c.requests > 0, true, 'the control plane checked c');
  });

  test('service discovery: nested answer, target follows the endpoint, last good list kept on failure', async () => {
    const nested = (up: Upstream) => ({ node: { value: JSON.stringify({ hostname: '127.0.0.1', port: new URL(up.url).port }) } });
    sd.answer.body = nested(a);
    await admin.ok(admin.createApi(keylessApi('sd', '/sd/', '', {
      proxy: { service_discovery: {
        use_discovery_service: true, query_endpoint: sd.url, use_nested_query: true, parent_data_path: 'node.value',
        data_path: 'hostname', port_data_path: 'port', cache_timeout: 1,
      } },
    })));
    await tg.waitForConvergence();
    await waitFor('sd API served by a', async () => ((await names('/sd/x', 4)).has('a') ? true : undefined), 10_000);
    sd.answer.body = nested(b);
    await waitFor('sd API moved to b', async () => {
      const seen = await names('/sd/x', 4);
      return seen.size === 1 && seen.has('b') ? true : undefined;
    }, 15_000);
    sd.answer.status = 500;
    const calls = b.requests;
    assert.deepEqual(await names('/sd/x', 4), new Set(['b']), 'a failing endpoint keeps the last good target');
    assert.ok(b.requests >= calls + 4);
    sd.answer.status = 200;
  });

  test('service discovery: a list of targets is load balanced', async () => {
    sd.answer.body = { hosts: [a.url, b.url] };
    await admin.ok(admin.createApi(keylessApi('sdlist', '/sdlist/', '', {
      proxy: { service_discovery: { use_discovery_service: true, query_endpoint: sd.url, data_path: 'hosts', use_target_list: true, cache_timeout: 60 } },
    })));
    await tg.waitForConvergence();
    await waitFor('both targets used', async () => ((await names('/sdlist/x', 6)).size === 2 ? true : undefined), 10_000);
  });

  test('bad uptime and discovery settings are refused when saved, naming the field', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/catalog`;
    const cases: [Record<string, unknown>, string][] = [
      [{ proxy: { service_discovery: { use_discovery_service: true, query_endpoint: closed, data_path: 'x' } } },
        `proxy.service_discovery.query_endpoint "${closed}" is unreachable (ECONNREFUSED)`],
      [{ proxy: { service_discovery: { use_discovery_service: true, query_endpoint: sd.url, data_path: 'nowhere' } } },
        `proxy.service_discovery.query_endpoint "${sd.url}" answered, but no target was found at proxy.service_discovery.data_path "nowhere"`],
      [{ uptime_tests: { check_list: [{ url: 'ftp://x/health' }] } }, 'uptime_tests.check_list[0].url "ftp://x/health" is not a valid http(s) URL'],
    ];
    for (const [extra, reason] of cases) {
      const res = await admin.createApi(keylessApi('bad', '/bad/', `${a.url}/`, extra));
      assert.equal(res.status, 400, res.text);
      assert.equal((res.json as { message: string }).message, `Validation of API Definition failed. Reason: ${reason}.`);
    }
  });
});
