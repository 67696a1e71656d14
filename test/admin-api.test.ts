import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { AdminClient, keylessApi, type Definition } from './support/admin-client.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { REPO_ROOT, startTollgate, type Tollgate } from './support/tollgate-processes.js';

const FIXTURES = join(REPO_ROOT, '../shared/fixtures/tyk');
const fixtures: ReadonlyArray<{ file: string; def: Definition }> = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json')).sort()
  .map((file) => ({ file, def: JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Definition }));

const DENIED = { status: 'error', message: 'Attempted administrative access with invalid or missing key!' };
const TARGET = 'http://127.0.0.1:9/';

describe('admin API (/tyk/apis, /tyk/reload) on the control plane', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;

  before(async () => {
    redis = await startRedisServer();
    tg = await startTollgate({ redisPort: redis.port, workers: 0 });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
  });

  /** The stored set, by api_id, for "nothing changed" checks. */
  const storedSet = async (): Promise<Map<string, Definition>> => {
    const all = await admin.ok(admin.listApis());
    return new Map(all.map((d) => [String(d.api_id), d]));
  };

  test('every /tyk/ call without the secret or with a wrong one gets 403 JSON and changes nothing', async () => {
    for (const secret of [null, 'wrong-secret', '']) {
      for (const [method, path, body] of [
        ['GET', '/tyk/apis', undefined], ['POST', '/tyk/apis', keylessApi('denied', '/denied/', TARGET)],
        ['GET', '/tyk/apis/denied', undefined], ['DELETE', '/tyk/apis/denied', undefined], ['GET', '/tyk/reload', undefined],
      ] as const) {
        const res = await admin.call(method, path, body, secret);
        assert.equal(res.status, 403, `${method} ${path} with secret ${String(secret)}`);
        assert.match(res.contentType, /application\/json/);
        assert.deepEqual(res.json, DENIED);
      }
    }
    assert.equal((await admin.getApi('denied')).status, 404);
  });

  test('/hello needs no secret', async () => {
    const res = await admin.call('GET', '/hello', undefined, null);
    assert.equal(res.status, 200);
    assert.equal((res.json as { status: string }).status, 'pass');
  });

  test('POST without api_id creates the API with a generated 32-hex id; GET returns what was stored', async () => {
    const def = keylessApi('', '/generated/', TARGET);
    delete def.api_id;
    const res = await admin.createApi(def);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.status, 'ok');
    assert.equal(res.json.action, 'added');
    assert.match(res.json.key, /^[0-9a-f]{32}$/);
    const got = await admin.getApi(res.json.key);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, { ...def, api_id: res.json.key });
    await admin.ok(admin.deleteApi(res.json.key));
  });

  test('a definition round-trips exactly, unknown fields kept at every level', async () => {
    const def: Definition = {
      ...keylessApi('roundtrip', '/roundtrip/', TARGET),
      some_future_field: { nested: [1, 'two', null, { deep: true }] },
      custom_middleware: { pre: [], post: [], driver: 'otto' },
      tags: ['a', 'b'],
      expiration: '',
    };
    (def.proxy as Record<string, unknown>).unknown_proxy_field = 'kept';
    (def.version_data as Record<string, unknown>).x_extra = 42;
    const created = await admin.createApi(def);
    assert.equal(created.status, 200, created.text);
    assert.deepEqual(created.json, { key: 'roundtrip', status: 'ok', action: 'added' });
    assert.deepEqual((await admin.getApi('roundtrip')).json, def);
    const listed = await storedSet();
    assert.deepEqual(listed.get('roundtrip'), def);
    await admin.ok(admin.deleteApi('roundtrip'));
  });

  test('PUT modifies; a mismatching api_id is refused with Tyk\'s message and nothing changes', async () => {
    const def = keylessApi('put-me', '/put-me/', TARGET);
    await admin.ok(admin.createApi(def));
    const changed = { ...def, name: 'renamed', proxy: { ...(def.proxy as object), listen_path: '/put-me-2/' } };
    const put = await admin.updateApi('put-me', changed);
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json, { key: 'put-me', status: 'ok', action: 'modified' });
    assert.deepEqual((await admin.getApi('put-me')).json, changed);

    const mismatch = await admin.updateApi('put-me', { ...changed, api_id: 'other-id', name: 'nope' });
    assert.equal(mismatch.status, 400);
    assert.deepEqual(mismatch.json, {
      status: 'error', message: 'Request APIID does not match that in Definition! For Update operations these must match.',
    });
    assert.deepEqual((await admin.getApi('put-me')).json, changed);
    assert.equal((await admin.getApi('other-id')).status, 404);

    const missing = await admin.updateApi('no-such-api', keylessApi('no-such-api', '/nsa/', TARGET));
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { status: 'error', message: 'API not found' });
    await admin.ok(admin.deleteApi('put-me'));
  });

  test('DELETE removes the API; afterwards GET and DELETE answer 404 API not found', async () => {
    await admin.ok(admin.createApi(keylessApi('del-me', '/del-me/', TARGET)));
    const del = await admin.deleteApi('del-me');
    assert.equal(del.status, 200);
    assert.deepEqual(del.json, { key: 'del-me', status: 'ok', action: 'deleted' });
    for (const res of [await admin.getApi('del-me'), await admin.deleteApi('del-me')]) {
      assert.equal(res.status, 404);
      assert.deepEqual(res.json, { status: 'error', message: 'API not found' });
    }
    assert.equal((await storedSet()).has('del-me'), false);
  });

  test('invalid definitions get 400 naming the field, and the stored set is unchanged', async () => {
    await admin.ok(admin.createApi(keylessApi('keeper', '/keeper/', TARGET)));
    await admin.ok(admin.createApi(keylessApi('keeper-2', '/keeper-2/', TARGET)));
    const before = await storedSet();
    const noListenPath = keylessApi('bad-1', '/x/', TARGET);
    delete (noListenPath.proxy as Record<string, unknown>).listen_path;
    const cases: Array<{ what: string; call: () => ReturnType<AdminClient['createApi']>; field: RegExp }> = [
      { what: 'missing proxy.listen_path', call: () => admin.createApi(noListenPath), field: /proxy\.listen_path/ },
      { what: 'bad target_url', call: () => admin.createApi(keylessApi('bad-2', '/bad-2/', 'not a url')), field: /proxy\.target_url/ },
      { what: 'ftp target_url', call: () => admin.createApi(keylessApi('bad-3', '/bad-3/', 'ftp://example.com/')), field: /proxy\.target_url/ },
      { what: 'duplicate api_id on POST', call: () => admin.createApi(keylessApi('keeper', '/elsewhere/', TARGET)), field: /api_id/ },
      { what: 'same listen_path as another API', call: () => admin.createApi(keylessApi('bad-4', '/keeper/', TARGET)), field: /listen_path/ },
      { what: 'same listen_path written differently', call: () => admin.createApi(keylessApi('bad-5', 'keeper/', TARGET)), field: /listen_path/ },
      { what: 'PUT taking another API\'s listen_path', call: () => admin.updateApi('keeper-2', keylessApi('keeper-2', '/keeper/', TARGET)), field: /listen_path/ },
      { what: 'PUT without listen_path', call: () => admin.updateApi('keeper', { ...noListenPath, api_id: 'keeper' }), field: /proxy\.listen_path/ },
    ];
    for (const c of cases) {
      const res = await c.call();
      assert.equal(res.status, 400, `${c.what}: ${res.text}`);
      assert.equal(res.json.status, 'error', c.what);
      assert.match(res.json.message, /^Validation of API Definition failed\. Reason: .+\.$/, c.what);
      assert.match(res.json.message, c.field, c.what);
      assert.deepEqual(await storedSet(), before, `stored set changed after ${c.what}`);
    }
    await admin.ok(admin.deleteApi('keeper'));
    await admin.ok(admin.deleteApi('keeper-2'));
  });

  test('a body that is not a JSON object gets 400 Request malformed', async () => {
    const before = await storedSet();
    for (const body of ['{not json', '', '[1,2]', '"text"']) {
      const res = await admin.createApi(body);
      assert.equal(res.status, 400, `POST ${JSON.stringify(body)}: ${res.text}`);
      assert.deepEqual(res.json, { status: 'error', message: 'Request malformed' });
    }
    await admin.ok(admin.createApi(keylessApi('malformed-put', '/malformed-put/', TARGET)));
    const put = await admin.updateApi('malformed-put', '{"api_id": ');
    assert.equal(put.status, 400);
    assert.deepEqual(put.json, { status: 'error', message: 'Request malformed' });
    await admin.ok(admin.deleteApi('malformed-put'));
    assert.deepEqual(await storedSet(), before);
  });

  test('every Tyk fixture loads unchanged through POST', async () => {
    assert.ok(fixtures.length > 0, `no fixtures in ${FIXTURES}`);
    for (const { file, def } of fixtures) {
      const res = await admin.createApi(def);
      assert.equal(res.status, 200, `${file}: ${res.text}`);
      assert.equal(res.json.key, def.api_id, file);
      assert.deepEqual((await admin.getApi(String(def.api_id))).json, def, file);
      await admin.ok(admin.deleteApi(String(def.api_id)));
    }
  });

  test('unknown /tyk/ path → 404; GET /tyk/reload → {"status":"ok","message":""}', async () => {
    const unknown = await admin.call('GET', '/tyk/no-such-endpoint');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text.trim(), '404 page not found');
    for (const path of ['/tyk/reload', '/tyk/reload/', '/tyk/reload?block=true', '/tyk/reload/group']) {
      const res = await admin.call('GET', path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(res.json, { status: 'ok', message: '' }, path);
    }
  });
});

describe('Tyk fixtures in app_path load unchanged at control-plane start', () => {
  // Fixtures share api_ids and listen paths, so they are loaded in as few runs as keep each run free of collisions.
  const runs: Array<typeof fixtures[number][]> = [];
  for (const fixture of fixtures) {
    const lp = (fixture.def.proxy as { listen_path?: string } | undefined)?.listen_path;
    const run = runs.find((r) => r.every((f) => f.def.api_id !== fixture.def.api_id
      && (f.def.proxy as { listen_path?: string } | undefined)?.listen_path !== lp));
    if (run) run.push(fixture);
    else runs.push([fixture]);
  }
  let redis: RedisServer;
  const started: Tollgate[] = [];
  before(async () => { redis = await startRedisServer(); });
  after(async () => {
    for (const tg of started) await tg.stop();
    await redis?.stop();
  });

  runs.forEach((run, i) => {
    test(`run ${i + 1}: ${run.map((f) => f.file).join(', ')}`, async () => {
      const tg = await startTollgate({
        redisPort: redis.port, workers: 0, apps: Object.fromEntries(run.map((f) => [f.file, readFileSync(join(FIXTURES, f.file), 'utf8')])),
      });
      started.push(tg);
      try {
        const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
        const listed = await admin.ok(admin.listApis());
        assert.equal(listed.length, run.length, JSON.stringify(listed.map((d) => d.api_id)));
        for (const { file, def } of run) {
          const got = await admin.getApi(String(def.api_id));
          assert.equal(got.status, 200, file);
          assert.deepEqual(got.json, def, file);
        }
      } finally {
        await tg.stop();
        const flush = new Redis({ host: '127.0.0.1', port: redis.port });
        await flush.flushall();
        flush.disconnect();
      }
    });
  });
});
