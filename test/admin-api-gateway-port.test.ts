import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigStore } from '@tollgate/store';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { gatewayRequest, rawRequest } from './support/gateway-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { waitFor } from './support/processes.js';
import { ENDPOINTS_HASH, startTollgate, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const DENIED = { status: 'error', message: 'Attempted administrative access with invalid or missing key!' };

// gateway-api.md §1: with control_api_port 0, Tyk serves the Gateway API on the gateway port.
describe('admin API on the gateway port (control_api_port 0)', () => {
  let redis: RedisServer;
  let upstream: Upstream;
  let tg: Tollgate;
  let viaGateway: AdminClient;

  before(async () => {
    redis = await startRedisServer();
    upstream = await startUpstream({ name: 'orders' });
    tg = await startTollgate({ redisPort: redis.port, workers: 2, config: { control_api_port: 0 } });
    viaGateway = new AdminClient({ baseUrl: tg.gatewayUrl, secret: tg.secret });
    // Every worker has the route once it applied the control plane's registration.
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await upstream?.close();
    await redis?.stop();
  });

  test('the control plane registers the address it took; gateways route /tyk/ to it', async () => {
    const json = await tg.redis.hget(ENDPOINTS_HASH, 'admin-api');
    assert.ok(json !== null, 'admin-api endpoint registered');
    const { url } = JSON.parse(json) as { url: string };
    assert.equal(Number(new URL(url).port), tg.controlPort);
    assert.notEqual(tg.controlPort, tg.gatewayPort);
  });

  test('a /tyk/ call without the secret or with a wrong one gets 403 JSON on the gateway port', async () => {
    for (const secret of [null, 'wrong-secret']) {
      const res = await viaGateway.call('GET', '/tyk/apis', undefined, secret);
      assert.equal(res.status, 403);
      assert.match(res.contentType, /application\/json/);
      assert.deepEqual(res.json, DENIED);
    }
  });

  test('an API created through the gateway port is stored, listed and served by every worker', async () => {
    const created = await viaGateway.createApi(keylessApi('orders', '/orders/', upstream.url));
    assert.equal(created.status, 200, created.text);
    assert.deepEqual({ key: created.json.key, status: created.json.status, action: created.json.action }, { key: 'orders', status: 'ok', action: 'added' });
    assert.equal((await viaGateway.reload(true)).status, 200);
    const listed = await viaGateway.ok(viaGateway.listApis());
    assert.deepEqual(listed.map((d) => d.api_id), ['orders']);
    const direct = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    const fromControlPort = await direct.ok(direct.getApi('orders'));
    assert.equal(fromControlPort.api_id, 'orders');
    for (let i = 0; i < 6; i++) {
      const res = await gatewayRequest(tg.gatewayUrl, '/orders/1', { headers: { connection: 'close' } });
      assert.equal(res.status, 200);
      assert.equal(res.echo?.path, '/1');
    }
    // Trailing slashes are removed by the admin API as in Tyk; unknown admin paths answer as Tyk does.
    assert.equal((await viaGateway.call('GET', '/tyk/apis/')).status, 200);
    const unknown = await viaGateway.call('GET', '/tyk/nothing-here');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, '404 page not found');
  });

  test('the gateway still answers its own /hello, and other paths route to APIs', async () => {
    const hello = await gatewayRequest(tg.gatewayUrl, '/hello');
    assert.equal(hello.status, 200);
    assert.equal((JSON.parse(hello.text) as { description: string }).description, 'Tyk GW');
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/no-such-api/')).status, 404);
  });

  test('the admin API shadows every stored API whose listen path starts with /tyk/ (spec §2.1 rule 6)', async () => {
    for (const [id, listenPath] of [['squat-root', '/tyk/'], ['squat-deeper', '/tyk/apis/']] as const) {
      const created = await viaGateway.createApi(keylessApi(id, listenPath, upstream.url));
      assert.equal(created.status, 200, created.text);
    }
    await viaGateway.reload(true);
    const res = await viaGateway.call('GET', '/tyk/apis');
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.json), `the admin API answered, not the upstream: ${res.text}`);
    // The shadowed APIs stay reachable under /<api_id>/.
    const byId = await gatewayRequest(tg.gatewayUrl, '/squat-deeper/x', { headers: { connection: 'close' } });
    assert.equal(byId.echo?.upstream, 'orders');
    for (const id of ['squat-root', 'squat-deeper']) assert.equal((await viaGateway.deleteApi(id)).status, 200);
  });

  test('a moved control plane is followed: a new registration re-routes /tyk/ without a gateway restart', async () => {
    const other = await startUpstream({ name: 'impostor-admin' });
    // The control plane's own registration path (ConfigStore.put publishes the change to every worker).
    const store = new ConfigStore(tg.redis);
    try {
      await store.put('endpoint', 'admin-api', JSON.stringify({ url: other.url }));
      await waitFor('/tyk/ to reach the new address', async () => {
        const res = await gatewayRequest(tg.gatewayUrl, '/tyk/apis', { headers: { connection: 'close' } });
        return res.echo?.upstream === 'impostor-admin' ? true : undefined;
      });
    } finally {
      await store.put('endpoint', 'admin-api', JSON.stringify({ url: tg.controlUrl }));
      await waitFor('/tyk/ back on the control plane', async () => {
        const res = await viaGateway.call('GET', '/tyk/apis').catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      });
      await other.close();
    }
  });
});

describe('admin API on the gateway port bound to control_api_hostname', () => {
  let redis: RedisServer;
  let tg: Tollgate;

  before(async () => {
    redis = await startRedisServer();
    tg = await startTollgate({ redisPort: redis.port, workers: 1, config: { control_api_port: 0, control_api_hostname: 'admin.example.test' } });
    await tg.waitForConvergence();
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
  });

  test('/tyk/ answers only for that host', async () => {
    const headers = { 'x-tyk-authorization': tg.secret, connection: 'close' };
    const onHost = await rawRequest(tg.gatewayPort, '/tyk/apis', 'GET', { ...headers, host: 'admin.example.test' });
    assert.equal(onHost.status, 200, onHost.text);
    assert.deepEqual(JSON.parse(onHost.text), []);
    const elsewhere = await rawRequest(tg.gatewayPort, '/tyk/apis', 'GET', { ...headers, host: 'api.example.test' });
    assert.equal(elsewhere.status, 404);
  });
});
