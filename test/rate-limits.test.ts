import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { endpointId } from '@tollgate/store';
import { startTestRedisCluster } from '@tollgate/store/testing';
import { Cluster, Redis } from 'ioredis';
import { Agent } from 'undici';
import { AdminClient, keylessApi } from './support/admin-client.js';
import { createKey, keyedApi, putPolicy, rightsTo } from './support/auth-fixtures.js';
import { gatewayRequest, type GatewayResponse } from './support/gateway-client.js';
import { startGatewayNode, type GatewayNode } from './support/gateway-node.js';
import { waitFor } from './support/processes.js';
import { startRedisServer } from './support/redis-server.js';
import { startTollgate, WORKERS_HASH, type Tollgate } from './support/tollgate-processes.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const API_LIMITED = '{\n    "error": "API Rate Limit Exceeded"\n}';
const KEY_LIMITED = '{\n    "error": "Rate Limit Exceeded"\n}';
const QUOTA_EXCEEDED = '{\n    "error": "Quota exceeded"\n}';

/** Where the gateways keep their state: a single Redis or a three-master Redis Cluster. */
interface Backend {
  /** A port for the test harness's plain connection: the node that holds `{tollgate:config}`. */
  readonly harnessPort: number;
  /** Extra tollgate.json keys (the storage section). */
  readonly config: Record<string, unknown>;
  /** A client that reaches every key (a Cluster client on Redis Cluster). */
  readonly client: Redis | Cluster;
  /** Every master, for INFO commandstats. */
  readonly masters: readonly Redis[];
  stop(): Promise<void>;
}

/**
 * Exactness is the guarantee while Redis answers. On a loaded test machine a limit script can take longer
 * than the default 200 ms command timeout, and the gateway then rightly falls back to its local share
 * (rate-limit-outage.test.ts tests that): here Redis is healthy, so the timeout is generous.
 */
const HEALTHY_REDIS = { rate_limit_storage_timeout_ms: 5000 };

async function singleRedis(): Promise<Backend> {
  const server = await startRedisServer();
  const client = new Redis({ port: server.port });
  return {
    harnessPort: server.port, config: HEALTHY_REDIS, client, masters: [client],
    async stop() {
      client.disconnect();
      await server.stop();
    },
  };
}

async function redisCluster(): Promise<Backend> {
  const cluster = await startTestRedisCluster();
  const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
  const masters = cluster.ports.map((port) => new Redis({ port }));
  const slot = Number(await masters[0]!.cluster('KEYSLOT', '{tollgate:config}'));
  const ranges = (await masters[0]!.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
  const owner = ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
  return {
    harnessPort: owner,
    config: { ...HEALTHY_REDIS, storage: { enable_cluster: true, addrs: cluster.ports.map((p) => `127.0.0.1:${p}`) } },
    client, masters,
    async stop() {
      client.disconnect();
      masters.forEach((m) => m.disconnect());
      await cluster.stop();
    },
  };
}

/**
 * Limits are exact across the cluster (rate-limits-and-quotas.md §10.1): two gateway nodes of two workers
 * each share one Redis (or one Redis Cluster); requests alternate between the nodes and spread over their
 * workers.
 */
for (const [name, start] of [['one Redis', singleRedis], ['a three-master Redis Cluster', redisCluster]] as const) describe(`rate limits across 2 gateway nodes × 2 workers sharing ${name}`, () => {
  let backend: Backend;
  let tg: Tollgate;
  let second: GatewayNode;
  let upstream: Upstream;
  let admin: AdminClient;
  // Enough sockets for every request to be in flight at once.
  const dispatcher = new Agent({ connections: 400 });

  before(async () => {
    backend = await start();
    upstream = await startUpstream({ name: 'limits' });
    tg = await startTollgate({ redisPort: backend.harnessPort, workers: 2, config: backend.config });
    second = await startGatewayNode(tg, 2);
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await waitFor('4 live workers', async () => {
      const all = await tg.redis.hgetall(WORKERS_HASH);
      const live = Object.values(all).filter((v) => Date.now() - Number(v.split(':')[1]) < 3000).length;
      return live === 4 ? true : undefined;
    });
  });
  after(async () => {
    await second?.stop();
    await tg?.stop();
    await backend?.stop();
    await upstream?.close();
    await dispatcher.close();
  });

  async function createApi(id: string, rate: number, per: number): Promise<void> {
    await admin.ok(admin.createApi(keylessApi(id, `/${id}/`, `${upstream.url}/`, { global_rate_limit: { rate, per } })));
    await admin.ok(admin.reload(true));
  }

  /** `total` requests at once, alternating between the two nodes. */
  async function burst(path: string, total: number, headers: Record<string, string> = {}): Promise<GatewayResponse[]> {
    const urls = [tg.gatewayUrl, second.url];
    return Promise.all(Array.from({ length: total }, (_, i) => gatewayRequest(urls[i % 2]!, path, { dispatcher, headers })));
  }

  let keyedReady: Promise<void> | undefined;
  /** One API with auth token for the per-key tests. */
  function keyedApiOnce(): Promise<void> {
    keyedReady ??= (async () => {
      await admin.ok(admin.createApi(keyedApi('keyed', '/keyed/', `${upstream.url}/`, { use_standard_auth: true })));
      await admin.ok(admin.reload(true));
    })();
    return keyedReady;
  }

  test('200 concurrent requests against 50 per 10 s admit exactly 50; the rest get Tyk\'s 429', async () => {
    await createApi('burst50', 50, 10);
    const before = upstream.requests;
    const responses = await burst('/burst50/x', 200);
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 50, `statuses: ${JSON.stringify(countBy(statuses))}\n${tg.logs()}`);
    assert.equal(statuses.filter((s) => s === 429).length, 150);
    assert.equal(upstream.requests - before, 50, 'only admitted requests reached the upstream');
    const refused = responses.find((r) => r.status === 429)!;
    assert.equal(refused.text, API_LIMITED);
    assert.equal(refused.headers['content-type'], 'application/json');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 10, `Retry-After ${retryAfter}`);
    assert.equal(await backend.client.llen('tg:arl:{api:burst50}'), 50, 'one admission per entry; refusals are not recorded');
  });

  test('300 concurrent requests against 100 per hour admit exactly 100 (the API-wide counter as a quota-sized limit)', async () => {
    await createApi('burst100', 100, 3600);
    const responses = await burst('/burst100/x', 300);
    assert.equal(responses.filter((r) => r.status === 200).length, 100);
    assert.equal(responses.filter((r) => r.status === 429).length, 200);
  });

  test('a key\'s quota of 100 under 300 concurrent requests admits exactly 100; the admin API shows none left; a reset renews it', async () => {
    await keyedApiOnce();
    const key = await createKey(admin, 'quota-100', { rate: 0, per: 0, quota_max: 100, quota_renewal_rate: 3600, access_rights: rightsTo('keyed') });
    const responses = await burst('/keyed/x', 300, { authorization: key });
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((st) => st === 200).length, 100, JSON.stringify(countBy(statuses)));
    assert.equal(statuses.filter((st) => st === 403).length, 200);
    assert.equal(responses.find((r) => r.status === 403)!.text, QUOTA_EXCEEDED);
    const admitted = responses.find((r) => r.status === 200)!;
    assert.equal(admitted.headers['x-ratelimit-limit'], '100');
    assert.ok(Number(admitted.headers['x-ratelimit-remaining']) < 100);
    assert.ok(Number(admitted.headers['x-ratelimit-reset']) > Date.now() / 1000 + 3500);
    const shown = await admin.call<{ quota_remaining: number }>('GET', `/tyk/keys/${encodeURIComponent(key)}`);
    assert.equal(shown.json.quota_remaining, 0);
    // A key update without suppress_reset resets the quota counter (Tyk's rule).
    const updated = await admin.call('PUT', `/tyk/keys/${encodeURIComponent(key)}`, {
      org_id: 'e2e', rate: 0, per: 0, quota_max: 100, quota_renewal_rate: 3600, access_rights: rightsTo('keyed'),
    });
    assert.equal(updated.status, 200, updated.text);
    assert.equal((await gatewayRequest(tg.gatewayUrl, '/keyed/x', { dispatcher, headers: { authorization: key } })).status, 200);
    assert.equal((await admin.call<{ quota_remaining: number }>('GET', `/tyk/keys/${encodeURIComponent(key)}`)).json.quota_remaining, 99);
  });

  test('a key\'s rate of 50 per 10 s under 200 concurrent requests admits exactly 50; other keys are not affected', async () => {
    await keyedApiOnce();
    const key = await createKey(admin, 'rate-50', { rate: 50, per: 10, quota_max: -1, access_rights: rightsTo('keyed') });
    const other = await createKey(admin, 'rate-50-other', { rate: 50, per: 10, quota_max: -1, access_rights: rightsTo('keyed') });
    const responses = await burst('/keyed/x', 200, { authorization: key });
    assert.equal(responses.filter((r) => r.status === 200).length, 50, JSON.stringify(countBy(responses.map((r) => r.status))));
    const refused = responses.filter((r) => r.status === 429);
    assert.equal(refused.length, 150);
    assert.equal(refused[0]!.text, KEY_LIMITED);
    assert.equal((await gatewayRequest(second.url, '/keyed/x', { dispatcher, headers: { authorization: other } })).status, 200);
  });

  test('one policy\'s quota is shared by the two APIs it grants; a 503 all hosts are down gives its quota unit back and has no X-RateLimit-*', async () => {
    await keyedApiOnce();
    // Both targets refuse connections: the first request of each worker reaches them (500, counted), marks
    // them down, and the next ones are answered 503 NHU before proxying.
    await admin.ok(admin.createApi(keyedApi('nhu', '/nhu/', 'http://127.0.0.1:9/', {
      use_standard_auth: true,
      proxy: { listen_path: '/nhu/', target_url: 'http://127.0.0.1:9/', strip_listen_path: true, enable_load_balancing: true, target_list: ['http://127.0.0.1:9/', 'http://127.0.0.1:1/'] },
    })));
    await admin.ok(admin.reload(true));
    await putPolicy(admin, { id: 'shared-quota', rate: 0, per: 0, quota_max: 10, quota_renewal_rate: 3600, access_rights: rightsTo('keyed', 'nhu') });
    const key = await createKey(admin, 'shared-quota-key', { apply_policies: ['shared-quota'] });
    const urls = [tg.gatewayUrl, second.url];
    const nhu: GatewayResponse[] = [];
    for (let i = 0; i < 12; i++) nhu.push(await gatewayRequest(urls[i % 2]!, '/nhu/x', { dispatcher, headers: { authorization: key } }));
    const down = nhu.filter((r) => r.status === 503);
    const reached = nhu.length - down.length;
    assert.ok(down.length >= 8 && reached <= 4, JSON.stringify(countBy(nhu.map((r) => r.status))));
    assert.equal(down[0]!.text, 'all hosts are down\n');
    for (const r of nhu) assert.equal(r.headers['x-ratelimit-limit'], undefined, `no quota headers on a gateway ${r.status}`);
    const detail = async (): Promise<number> => (await admin.call<{ quota_remaining: number }>('GET', `/tyk/keys/${encodeURIComponent(key)}`)).json.quota_remaining;
    // Refunds are asynchronous (one script call after the answer).
    await waitFor('refunds of the 503s', async () => ((await detail()) === 10 - reached ? true : undefined));
    const left = 10 - reached;
    const responses = await burst('/keyed/x', left + 5, { authorization: key });
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((st) => st === 200).length, left, `the other API gets what is left of the one quota: ${JSON.stringify(countBy(statuses))}`);
    assert.equal(statuses.filter((st) => st === 403).length, 5);
    assert.equal(responses.find((r) => r.status === 200)!.headers['x-ratelimit-limit'], '10');
    assert.equal(await detail(), 0);
  });

  test('an extended_paths.rate_limit entry of 2 per 60 s on GET /slow: 2 of 5 concurrent GETs pass; other paths and methods keep global_rate_limit 100 per 60 s', async () => {
    await admin.ok(admin.createApi(keylessApi('eplimit', '/eplimit/', `${upstream.url}/`, {
      global_rate_limit: { rate: 100, per: 60 },
      version_data: { not_versioned: true, versions: { Default: { name: 'Default', use_extended_paths: true, extended_paths: {
        rate_limit: [{ path: '/slow', method: 'GET', rate: 2, per: 60 }],
      } } } },
    })));
    await admin.ok(admin.reload(true));
    const slow = await burst('/eplimit/slow', 5);
    assert.equal(slow.filter((r) => r.status === 200).length, 2, JSON.stringify(countBy(slow.map((r) => r.status))));
    const refused = slow.filter((r) => r.status === 429);
    assert.equal(refused.length, 3);
    assert.equal(refused[0]!.text, API_LIMITED);
    const other = await burst('/eplimit/other', 5);
    assert.deepEqual(countBy(other.map((r) => r.status)), { 200: 5 });
    const post = await gatewayRequest(tg.gatewayUrl, '/eplimit/slow', { dispatcher, method: 'POST' });
    assert.equal(post.status, 200, 'the entry is for GET only');
    assert.equal(await backend.client.llen(`tg:arl:{api:eplimit}:${endpointId('GET', '/slow')}`), 2, 'the endpoint counter, in the API\'s slot');
    assert.equal(await backend.client.llen('tg:arl:{api:eplimit}'), 6, 'endpoint requests are not on the API-wide counter');
  });

  test('a key\'s endpoint limit of 2 per 60 s on GET /slow: 2 of 5 concurrent requests pass (429 Rate Limit Exceeded); other paths use the key\'s own rate', async () => {
    await keyedApiOnce();
    const key = await createKey(admin, 'endpoint-limit', {
      rate: 100, per: 60, quota_max: -1,
      access_rights: { keyed: { api_id: 'keyed', api_name: 'keyed', versions: ['Default'], endpoints: [{ path: '/slow', methods: [{ name: 'GET', limit: { rate: 2, per: 60 } }] }] } },
    });
    const slow = await burst('/keyed/slow', 5, { authorization: key });
    assert.equal(slow.filter((r) => r.status === 200).length, 2, JSON.stringify(countBy(slow.map((r) => r.status))));
    const refused = slow.filter((r) => r.status === 429);
    assert.equal(refused.length, 3);
    assert.equal(refused[0]!.text, KEY_LIMITED);
    const other = await burst('/keyed/other', 5, { authorization: key });
    assert.deepEqual(countBy(other.map((r) => r.status)), { 200: 5 });
  });

  test('at most one Redis command per request: one EVALSHA (or the first EVAL), shared by requests that arrive together', async () => {
    await createApi('commands', 1000, 60);
    await gatewayRequest(tg.gatewayUrl, '/commands/warm', { dispatcher });
    await gatewayRequest(second.url, '/commands/warm', { dispatcher });
    await Promise.all(backend.masters.map((m) => m.config('RESETSTAT')));
    await burst('/commands/x', 100);
    const stats = (await Promise.all(backend.masters.map((m) => m.info('commandstats')))).join('\n');
    const calls = (name: string): number => [...stats.matchAll(new RegExp(`cmdstat_${name}:calls=(\\d+)`, 'g'))].reduce((a, m) => a + Number(m[1]), 0);
    const scripts = calls('evalsha') + calls('eval');
    assert.ok(scripts >= 1 && scripts <= 100, `${scripts} script calls for 100 requests\n${stats}`);
  });
});

function countBy(values: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
