import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { unpack } from 'msgpackr';
import { keyLayout } from '@tollgate/store';
import { AdminClient, keylessApi, type AdminResponse } from './support/admin-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';

const TARGET = 'http://127.0.0.1:9/';
type Json = Record<string, unknown>;

function errorBody(res: AdminResponse, status: number, message: string): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.json, { status: 'error', message });
}

const policy = (id: string, extra: Json = {}): Json => ({
  id, name: `policy ${id}`, org_id: 'org1', rate: 10, per: 1, quota_max: -1, active: true,
  access_rights: { 'pol-api': { api_id: 'pol-api', api_name: 'pol', versions: ['Default'] } }, ...extra,
});

describe('policies API and policy_path files', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  let policyDir: string;

  before(async () => {
    policyDir = mkdtempSync(join(tmpdir(), 'tollgate-policies-'));
    mkdirSync(join(policyDir, 'policies'));
    writeFileSync(join(policyDir, 'policies', 'from-file.json'), JSON.stringify(policy('from-file', { tags: ['file'] })));
    writeFileSync(join(policyDir, 'policies', 'broken.json'), '{not json');
    writeFileSync(join(policyDir, 'policies', 'bad-id.json'), JSON.stringify(policy('bad id')));
    writeFileSync(join(policyDir, 'policies', 'ignored.txt'), JSON.stringify(policy('ignored')));
    redis = await startRedisServer();
    tg = await startTollgate({
      redisPort: redis.port, workers: 0,
      config: { hash_keys: true, policies: { policy_source: 'file', policy_path: join(policyDir, 'policies') } },
    });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('pol-api', '/pol-api/', TARGET, { org_id: 'org1' })));
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
    rmSync(policyDir, { recursive: true, force: true });
  });

  test('policy_path is loaded at start: valid files only', async () => {
    const list = await admin.call<Json[]>('GET', '/tyk/policies');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.map((p) => p.id), ['from-file']);
    assert.deepEqual((await admin.call<Json>('GET', '/tyk/policies/from-file')).json, policy('from-file', { tags: ['file'] }));
  });

  test('CRUD with Tyk\'s shapes; a policy round-trips with unknown fields', async () => {
    const body = policy('crud', { custom_field: { kept: true }, partitions: { quota: false, rate_limit: true, acl: true, complexity: false, per_api: false } });
    assert.deepEqual((await admin.call('POST', '/tyk/policies', body)).json, { key: 'crud', status: 'ok', action: 'added' });
    assert.deepEqual((await admin.call('GET', '/tyk/policies/crud')).json, body);
    const changed = { ...body, rate: 99 };
    assert.deepEqual((await admin.call('PUT', '/tyk/policies/crud', changed)).json, { key: 'crud', status: 'ok', action: 'modified' });
    assert.equal((await admin.call<Json>('GET', '/tyk/policies/crud')).json.rate, 99);
    assert.deepEqual((await admin.call('DELETE', '/tyk/policies/crud')).json, { key: 'crud', status: 'ok', action: 'deleted' });
    errorBody(await admin.call('GET', '/tyk/policies/crud'), 404, 'Policy not found');
    errorBody(await admin.call('DELETE', '/tyk/policies/crud'), 500, 'Delete failed');
  });

  test('errors: malformed, missing or invalid ID, PUT mismatch, PUT/DELETE without ID, other methods', async () => {
    errorBody(await admin.call('POST', '/tyk/policies', '{nope'), 400, 'Request malformed');
    errorBody(await admin.call('POST', '/tyk/policies', { name: 'no id' }), 400, 'Unable to create policy without id.');
    errorBody(await admin.call('POST', '/tyk/policies', policy('a b')), 400, 'Invalid Policy ID: Allowed characters: a-z, A-Z, 0-9, ., _, -, ~');
    errorBody(await admin.call('POST', '/tyk/policies', policy('typed', { rate: 'fast' })), 400, 'Request malformed');
    errorBody(await admin.call('PUT', '/tyk/policies/typed', policy('typed', { partitions: { acl: 'yes' } })), 400, 'Request malformed');
    const refused = await waitFor('two refused policy bodies in the log', async () => {
      const lines = tg.logLines('control-plane').filter((l) => l.msg === 'policy body refused: Request malformed');
      return lines.length >= 2 ? lines : undefined;
    }, 5000);
    assert.deepEqual(refused.map((l) => [l.level, l.field, l.reason]), [[40, 'rate', 'rate must be a number'], [40, 'partitions.acl', 'partitions.acl must be a boolean']]);
    errorBody(await admin.call('PUT', '/tyk/policies/one', policy('two')), 400, 'Request ID does not match that in policy! For Update operations these must match.');
    errorBody(await admin.call('PUT', '/tyk/policies', policy('x')), 400, 'Must specify an apiID to update');
    errorBody(await admin.call('DELETE', '/tyk/policies'), 400, 'Must specify an apiID to delete');
    errorBody(await admin.call('PATCH', '/tyk/policies/x'), 405, 'Method not supported');
    assert.deepEqual((await admin.call<Json[]>('GET', '/tyk/policies')).json.map((p) => p.id), ['from-file'], 'nothing was stored');
  });

  test('a policy write rides the configuration feed: revision bumped, {kind: "policy"} published', async () => {
    const sub = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
    await sub.connect();
    const messages: Json[] = [];
    sub.on('messageBuffer', (_c: Buffer, payload: Buffer) => messages.push(unpack(payload) as Json));
    await sub.subscribe(keyLayout.changeChannel);
    try {
      const before = await tg.revision();
      await admin.ok(admin.call('POST', '/tyk/policies', policy('fed')));
      await admin.ok(admin.call('DELETE', '/tyk/policies/fed'));
      const deadline = Date.now() + 5000;
      while (messages.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(messages, [
        { revision: before + 1, kind: 'policy', id: 'fed', op: 'put' },
        { revision: before + 2, kind: 'policy', id: 'fed', op: 'delete' },
      ]);
    } finally {
      sub.disconnect();
    }
  });

  test('a policy change reaches every key that uses it: keys read after the change carry the new values', async () => {
    await admin.ok(admin.call('POST', '/tyk/policies', policy('shared', { rate: 10, per: 1, tags: ['v1'] })));
    for (const name of ['user-one', 'user-two']) await admin.ok(admin.call('POST', `/tyk/keys/${name}`, { org_id: 'org1', apply_policies: ['shared'] }));
    await admin.ok(admin.call('PUT', '/tyk/policies/shared', policy('shared', { rate: 1000, per: 1, tags: ['v2'] })));
    for (const name of ['user-one', 'user-two']) {
      const s = (await admin.call<Json>('GET', `/tyk/keys/org1${name}`)).json;
      assert.equal(s.rate, 1000, name);
      // As in Tyk, the stored key keeps the tags it was written with (policies' tags are unioned in).
      assert.ok((s.tags as string[]).includes('v2'), name);
    }
  });
});

describe('policies from policy_record_name, and the service source', () => {
  let redis: RedisServer;
  let dir: string;
  const started: Tollgate[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-policy-record-'));
    writeFileSync(join(dir, 'policies.json'), JSON.stringify({ 'by-key': { name: 'id from the map key', rate: 1, per: 1 }, 'own-id': { id: 'own-id', rate: 2, per: 1 } }));
    redis = await startRedisServer();
  });
  after(async () => {
    for (const tg of started) await tg.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a policy_record_name file of id → policy is loaded, IDs taken from the map keys when absent', async () => {
    const tg = await startTollgate({ redisPort: redis.port, workers: 0, config: { policies: { policy_record_name: join(dir, 'policies.json') } } });
    started.push(tg);
    const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    const ids = (await admin.call<Json[]>('GET', '/tyk/policies')).json.map((p) => p.id).sort();
    assert.deepEqual(ids, ['by-key', 'own-id']);
  });

  test('with policy_source "service" writes are refused with Tyk\'s text', async () => {
    const tg = await startTollgate({ redisPort: redis.port, workers: 0, config: { policies: { policy_source: 'service' } } });
    started.push(tg);
    const admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    errorBody(await admin.call('POST', '/tyk/policies', policy('svc')), 500, 'Due to enabled service policy source, please use the Dashboard API');
    errorBody(await admin.call('PUT', '/tyk/policies/svc', policy('svc')), 500, 'Due to enabled service policy source, please use the Dashboard API');
  });
});
