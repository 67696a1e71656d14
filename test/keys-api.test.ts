import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { unpack } from 'msgpackr';
import { generateKeyId, hashKeyId, hashString } from '@tollgate/apidef';
import { keyLayout } from '@tollgate/store';
import { AdminClient, keylessApi, type AdminResponse } from './support/admin-client.js';
import { waitFor } from './support/processes.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTollgate, type Tollgate } from './support/tollgate-processes.js';

const TARGET = 'http://127.0.0.1:9/';
const ORG = 'org1';
type Json = Record<string, unknown>;
type Session = Json & { access_rights: Record<string, Json & { limit: Json }>; basic_auth_data: Json };

const session = (extra: Json = {}): Json => ({
  org_id: ORG, rate: 10, per: 60, quota_max: -1, access_rights: { 'keys-api': { api_id: 'keys-api', api_name: 'keys', versions: ['Default'] } },
  ...extra,
});

function errorBody(res: AdminResponse, status: number, message: string): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.json, { status: 'error', message });
}

/** Waits until the control plane has logged `n` lines that `pick` selects; returns them in order. */
function logLines(tg: Tollgate, pick: (line: Json) => boolean, n: number): Promise<Json[]> {
  return waitFor(`${n} matching control-plane log lines`, async () => {
    const lines = tg.logLines('control-plane').filter(pick);
    return lines.length >= n ? lines : undefined;
  }, 5000);
}

/** Collects key-change messages (msgpack {op, id}) published while `run` executes. */
async function keyChanges(port: number, run: () => Promise<void>, n: number): Promise<Json[]> {
  const sub = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  await sub.connect();
  const got: Json[] = [];
  sub.on('messageBuffer', (_channel: Buffer, payload: Buffer) => got.push(unpack(payload) as Json));
  await sub.subscribe(keyLayout.keyChangeChannel);
  try {
    await run();
    const deadline = Date.now() + 5000;
    while (got.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return got;
  } finally {
    sub.disconnect();
  }
}

describe('keys API with hash_keys (legacy key IDs)', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;
  const created: string[] = [];

  before(async () => {
    redis = await startRedisServer();
    tg = await startTollgate({ redisPort: redis.port, workers: 0, config: { hash_keys: true, enable_hashed_keys_listing: true } });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('keys-api', '/keys-api/', TARGET, { org_id: ORG, session_lifetime: 3600 })));
  });
  after(async () => {
    // Keys never reach a log line, whatever happened in the tests.
    const logs = tg?.logs() ?? '';
    for (const key of created) assert.ok(!logs.includes(key), 'a key appeared in the control plane log');
    await tg?.stop();
    await redis?.stop();
  });

  test('POST /tyk/keys generates <org><32 hex>, stores only its hash with the API\'s lifetime as TTL', async () => {
    const res = await admin.call<Json>('POST', '/tyk/keys', session());
    assert.equal(res.status, 200, res.text);
    const key = String(res.json.key);
    created.push(key);
    assert.match(key, /^org1[0-9a-f]{32}$/);
    assert.deepEqual(res.json, { key, status: 'ok', action: 'added', key_hash: hashString(key, 'murmur32') });
    assert.match(res.text, /\n$/);
    assert.equal(await tg.redis.exists(`apikey-${key}`), 0, 'the raw key is not stored');
    const ttl = await tg.redis.ttl(`apikey-${hashKeyId(key)}`);
    assert.ok(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);

    const got = await admin.call<Session>('GET', `/tyk/keys/${key}`);
    assert.equal(got.status, 200, got.text);
    for (const field of ['last_check', 'allowance', 'throttle_interval', 'max_query_depth', 'expires', 'quota_renews',
      'quota_remaining', 'quota_renewal_rate', 'oauth_client_id', 'hmac_enabled', 'hmac_string', 'is_inactive',
      'apply_policy_id', 'apply_policies', 'meta_data', 'tags', 'alias', 'last_updated', 'session_lifetime', 'jwt_data', 'monitor']) {
      assert.ok(field in got.json, `session JSON lacks ${field}`);
    }
    assert.equal(got.json.rate, 10);
    assert.ok(Date.now() - Date.parse(String(got.json.date_created)) < 60_000);
    assert.match(String(got.json.last_updated), /^\d{10}$/);
    const byHash = await admin.call<Session>('GET', `/tyk/keys/${hashKeyId(key)}?hashed=1`);
    assert.equal(byHash.status, 200, byHash.text);
    assert.equal(byHash.json.date_created, got.json.date_created);
  });

  test('POST /tyk/keys/{custom}: the org is prefixed; the key answers by full ID and by name with org_id', async () => {
    const res = await admin.call<Json>('POST', '/tyk/keys/custom-key-1', session());
    assert.deepEqual(res.json, { key: 'org1custom-key-1', status: 'ok', action: 'added', key_hash: hashKeyId('org1custom-key-1') });
    created.push('org1custom-key-1');
    assert.equal((await admin.call('GET', '/tyk/keys/org1custom-key-1')).status, 200);
    assert.equal((await admin.call('GET', `/tyk/keys/custom-key-1?org_id=${ORG}`)).status, 200);
    assert.equal((await admin.call('GET', '/tyk/keys/custom-key-1?api_id=keys-api')).status, 200, 'api_id selects the org');
    errorBody(await admin.call('GET', '/tyk/keys/nope-key'), 404, 'Key not found');
  });

  test('a custom ID shorter than min_token_length is refused with Tyk\'s text', async () => {
    errorBody(await admin.call('POST', '/tyk/keys/ab', session()), 400,
      'custom key ID length 2 is less than min_token_length (3); the key would be unreachable at auth time. Use an ID of at least min_token_length characters, or lower min_token_length in the gateway configuration.');
  });

  test('bad bodies: Tyk\'s exact Request malformed / Unmarshalling failed (the mistyped field goes to the log); master keys refused as configured', async () => {
    errorBody(await admin.call('POST', '/tyk/keys', '{not json'), 400, 'Request malformed');
    errorBody(await admin.call('POST', '/tyk/keys', session({ expires: 'soon' })), 400, 'Request malformed');
    errorBody(await admin.call('PUT', '/tyk/keys/org1whatever', session({ access_rights: { 'keys-api': { limit: { rate: 'fast' } } } })), 400, 'Request malformed');
    errorBody(await admin.call('POST', '/tyk/keys', session({ access_rights: {} })), 500, 'Failed to create key, ensure security settings are correct.');
    errorBody(await admin.call('POST', '/tyk/keys/create', session({ access_rights: {} })), 400, 'Failed to create key, keys must have at least one Access Rights record set.');
    errorBody(await admin.call('POST', '/tyk/keys/create', '[]'), 500, 'Unmarshalling failed');
    errorBody(await admin.call('POST', '/tyk/keys/create', session({ tags: 'gold' })), 500, 'Unmarshalling failed');
    errorBody(await admin.call('POST', '/tyk/keys/preview', session({ is_inactive: 'no' })), 500, 'Unmarshalling failed');
    const warned = await logLines(tg, (l) => String(l.msg).startsWith('key body refused: '), 5);
    assert.deepEqual(warned.map((l) => [l.level, l.msg, l.field, l.reason]), [
      [40, 'key body refused: Request malformed', 'expires', 'expires must be an integer (got "soon")'],
      [40, 'key body refused: Request malformed', 'access_rights.keys-api.limit.rate', 'access_rights.keys-api.limit.rate must be a number (got "fast")'],
      [40, 'key body refused: Unmarshalling failed', '', 'the body must be a JSON object (a session)'],
      [40, 'key body refused: Unmarshalling failed', 'tags', 'tags must be a list of strings (got "gold")'],
      [40, 'key body refused: Unmarshalling failed', 'is_inactive', 'is_inactive must be a boolean (got "no")'],
    ]);
  });

  test('PUT replaces the session, keeps date_created; suppress_reset=1 keeps last_updated and quota_renews', async () => {
    await admin.ok(admin.call('POST', '/tyk/keys/put-key', session({ quota_max: 100, quota_renewal_rate: 3600 })));
    created.push('org1put-key');
    const before = (await admin.call<Session>('GET', '/tyk/keys/org1put-key')).json;
    await new Promise((r) => setTimeout(r, 1100));
    const put = await admin.call('PUT', '/tyk/keys/org1put-key', session({ rate: 99, alias: 'renamed', quota_max: 100, quota_renewal_rate: 3600 }));
    assert.deepEqual(put.json, { key: 'org1put-key', status: 'ok', action: 'modified' });
    const after = (await admin.call<Session>('GET', '/tyk/keys/org1put-key')).json;
    assert.equal(after.rate, 99);
    assert.equal(after.alias, 'renamed');
    assert.equal(after.date_created, before.date_created);
    assert.notEqual(after.last_updated, before.last_updated);

    await admin.ok(admin.call('PUT', '/tyk/keys/org1put-key?suppress_reset=1', session({ rate: 7, quota_max: 100, quota_renews: 1, last_updated: '1' })));
    const kept = (await admin.call<Session>('GET', `/tyk/keys/${hashKeyId('org1put-key')}?hashed=1`)).json;
    assert.equal(kept.rate, 7);
    assert.equal(kept.last_updated, after.last_updated);
    assert.equal(kept.quota_renews, after.quota_renews);

    const byHash = await admin.call('PUT', `/tyk/keys/${hashKeyId('org1put-key')}?hashed=1`, session({ rate: 8 }));
    assert.deepEqual(byHash.json, { key: hashKeyId('org1put-key'), status: 'ok', action: 'modified' });
    errorBody(await admin.call('PUT', '/tyk/keys/not-there', session()), 404, 'Key is not found');
    errorBody(await admin.call('PUT', '/tyk/keys', session()), 404, 'Key is not found');
  });

  test('post_expiry_action sets the TTL of the key record from expires: delete, retain + grace, grace -1 forever; from a policy too', async () => {
    // The API's session_lifetime (3600 s) would otherwise be the TTL.
    const ttlOf = async (name: string, extra: Json): Promise<number> => {
      await admin.ok(admin.call('POST', `/tyk/keys/${name}`, session(extra)));
      created.push(`org1${name}`);
      return tg.redis.ttl(`apikey-${hashKeyId(`org1${name}`)}`);
    };
    const now = Math.floor(Date.now() / 1000);
    const inRange = (ttl: number, top: number): void => assert.ok(ttl > top - 30 && ttl <= top, `ttl ${ttl}, expected about ${top}`);
    inRange(await ttlOf('expiry-delete', { expires: now + 600, post_expiry_action: 'delete', post_expiry_grace_period: 300 }), 600);
    inRange(await ttlOf('expiry-retain', { expires: now + 600, post_expiry_action: 'retain', post_expiry_grace_period: 300 }), 900);
    inRange(await ttlOf('expiry-retain-long', { expires: now + 600, post_expiry_action: 'retain', post_expiry_grace_period: 86_400 }), 87_000);
    assert.equal(await ttlOf('expiry-forever', { expires: now + 600, post_expiry_action: 'retain', post_expiry_grace_period: -1 }), -1, 'no TTL');
    inRange(await ttlOf('expiry-unset', { expires: now + 600 }), 3600);
    inRange(await ttlOf('expiry-never', { expires: 0, post_expiry_action: 'delete' }), 3600);

    await admin.ok(admin.call('POST', '/tyk/policies', { id: 'trial', org_id: ORG, rate: 5, per: 1, quota_max: -1, key_expires_in: 120,
      post_expiry_action: 'retain', post_expiry_grace_period: 60, access_rights: { 'keys-api': { api_id: 'keys-api', versions: ['Default'] } } }));
    await admin.ok(admin.call('POST', '/tyk/keys/trial-key', { org_id: ORG, apply_policies: ['trial'] }));
    created.push('org1trial-key');
    inRange(await tg.redis.ttl(`apikey-${hashKeyId('org1trial-key')}`), 180);
  });

  test('basic-auth users: password stored as bcrypt, never returned, kept when a PUT omits it', async () => {
    const res = await admin.call<Json>('POST', '/tyk/keys/alice', session({ basic_auth_data: { password: 'pa:ss' } }));
    assert.deepEqual(res.json, { key: '', status: 'ok', action: 'added', key_hash: hashKeyId('org1alice') }, 'with hash_keys the key is ""');
    const stored = JSON.parse((await tg.redis.get(`apikey-${hashKeyId('org1alice')}`))!) as Session;
    assert.equal(stored.basic_auth_data.hash_type, 'bcrypt');
    assert.match(String(stored.basic_auth_data.password), /^\$2[ab]\$10\$/);
    const got = (await admin.call<Session>('GET', '/tyk/keys/alice?org_id=org1')).json;
    assert.deepEqual(got.basic_auth_data, { password: '', hash_type: 'bcrypt' });
    await admin.ok(admin.call('PUT', '/tyk/keys/org1alice', session({ alias: 'a' })));
    const kept = JSON.parse((await tg.redis.get(`apikey-${hashKeyId('org1alice')}`))!) as Session;
    assert.equal(kept.basic_auth_data.password, stored.basic_auth_data.password);
    await admin.ok(admin.call('PUT', '/tyk/keys/org1alice', session({ basic_auth_data: { password: 'new' } })));
    const changed = JSON.parse((await tg.redis.get(`apikey-${hashKeyId('org1alice')}`))!) as Session;
    assert.notEqual(changed.basic_auth_data.password, stored.basic_auth_data.password);
    assert.match(String(changed.basic_auth_data.password), /^\$2[ab]\$10\$/);
  });

  test('GET recomputes quota_remaining from the counter', async () => {
    await admin.ok(admin.call('POST', '/tyk/keys/quota-key', session({ quota_max: 50, quota_renewal_rate: 60 })));
    await tg.redis.set(keyLayout.quotaCounter('', hashKeyId('org1quota-key')), '12');
    assert.equal((await admin.call<Session>('GET', '/tyk/keys/org1quota-key')).json.quota_remaining, 38);
    await tg.redis.set(keyLayout.quotaCounter('', hashKeyId('org1quota-key')), '80');
    assert.equal((await admin.call<Session>('GET', '/tyk/keys/org1quota-key')).json.quota_remaining, 0);
  });

  test('GET derives quota_renews from the counter\'s PTTL; a policy\'s APIs show the key\'s one shared counter', async () => {
    const rights = { 'keys-api': { api_id: 'keys-api', versions: ['Default'] }, 'quota-2': { api_id: 'quota-2', versions: ['Default'] } };
    await admin.ok(admin.call('POST', '/tyk/policies', { id: 'shared-quota', org_id: ORG, rate: 0, per: 0, quota_max: 100, quota_renewal_rate: 3600, access_rights: rights }));
    await admin.ok(admin.call('POST', '/tyk/keys/shared-quota-key', { org_id: ORG, apply_policies: ['shared-quota'] }));
    const counter = keyLayout.quotaCounter('', hashKeyId('org1shared-quota-key'));
    await tg.redis.set(counter, '30', 'PX', 1_000_000);
    const before = Date.now() / 1000;
    const s = (await admin.call<Session>('GET', '/tyk/keys/org1shared-quota-key')).json;
    const near = (v: unknown): boolean => Math.abs(Number(v) - (before + 1000)) <= 5;
    assert.equal(s.quota_remaining, 70);
    assert.ok(near(s.quota_renews), `quota_renews ${String(s.quota_renews)} is now + the counter's PTTL`);
    for (const api of ['keys-api', 'quota-2']) {
      assert.equal(s.access_rights[api]!.limit.quota_remaining, 70, api);
      assert.ok(near(s.access_rights[api]!.limit.quota_renews), `${api} quota_renews ${String(s.access_rights[api]!.limit.quota_renews)}`);
    }
  });

  test('DELETE removes the session and its counters; then 404; api_id=-1 answers null', async () => {
    await admin.ok(admin.call('POST', '/tyk/keys/del-key', session()));
    const counter = keyLayout.quotaCounter('', hashKeyId('org1del-key'));
    await tg.redis.set(counter, '3');
    const del = await admin.call('DELETE', '/tyk/keys/org1del-key');
    assert.deepEqual(del.json, { key: 'org1del-key', status: 'ok', action: 'deleted' });
    assert.equal(await tg.redis.exists(counter), 0);
    errorBody(await admin.call('DELETE', '/tyk/keys/org1del-key'), 404, 'There is no such key found');
    errorBody(await admin.call('GET', '/tyk/keys/org1del-key'), 404, 'Key not found');
    await admin.ok(admin.call('POST', '/tyk/keys/del-key-2', session()));
    const all = await admin.call('DELETE', `/tyk/keys/${hashKeyId('org1del-key-2')}?hashed=1&api_id=-1`);
    assert.equal(all.status, 200);
    assert.equal(all.text, 'null\n');
  });

  test('every write and delete is published on tollgate:keys:changes with the storage ID', async () => {
    const changes = await keyChanges(redis.port, async () => {
      await admin.ok(admin.call('POST', '/tyk/keys/feed-key', session()));
      await admin.ok(admin.call('PUT', '/tyk/keys/org1feed-key', session({ rate: 1 })));
      await admin.ok(admin.call('DELETE', '/tyk/keys/org1feed-key'));
    }, 3);
    const id = hashKeyId('org1feed-key');
    assert.deepEqual(changes, [{ op: 'put', id }, { op: 'put', id }, { op: 'delete', id }]);
  });

  test('GET /tyk/keys lists hashes; api_id keeps keys granting that API', async () => {
    await admin.ok(admin.createApi(keylessApi('other-api', '/other-api/', TARGET, { org_id: ORG })));
    await admin.ok(admin.call('POST', '/tyk/keys/list-other', session({ access_rights: { 'other-api': { api_id: 'other-api' } } })));
    const all = (await admin.call<{ keys: string[] }>('GET', '/tyk/keys')).json.keys;
    assert.ok(all.includes(hashKeyId('org1custom-key-1')));
    assert.ok(all.includes(hashKeyId('org1list-other')));
    assert.ok(all.every((k) => /^[0-9a-f]{8}$/.test(k)), 'only hashes');
    const other = (await admin.call<{ keys: string[] }>('GET', '/tyk/keys?api_id=other-api')).json.keys;
    assert.deepEqual(other, [hashKeyId('org1list-other')]);
  });

  test('policies fill the key; /tyk/keys/policy/{hash} switches them; /tyk/keys/preview stores nothing', async () => {
    await admin.ok(admin.call('POST', '/tyk/policies', { id: 'silver', org_id: ORG, rate: 5, per: 1, quota_max: 10, quota_renewal_rate: 60,
      access_rights: { 'keys-api': { api_id: 'keys-api', versions: ['Default'] } }, tags: ['silver'] }));
    await admin.ok(admin.call('POST', '/tyk/policies', { id: 'gold', org_id: ORG, rate: 500, per: 1, quota_max: -1,
      access_rights: { 'other-api': { api_id: 'other-api', versions: ['Default'] } } }));
    await admin.ok(admin.call('POST', '/tyk/keys/pol-key', { org_id: ORG, apply_policies: ['silver'] }));
    const s = (await admin.call<Session>('GET', '/tyk/keys/org1pol-key')).json;
    assert.deepEqual([s.rate, s.per, s.quota_max], [5, 1, 10]);
    assert.deepEqual(Object.keys(s.access_rights), ['keys-api']);
    assert.deepEqual(s.tags, ['silver']);

    const switched = await admin.call('POST', `/tyk/keys/policy/${hashKeyId('org1pol-key')}`, { policy: 'gold' });
    assert.deepEqual(switched.json, { key: hashKeyId('org1pol-key'), status: 'ok', action: 'updated' });
    const g = (await admin.call<Session>('GET', '/tyk/keys/org1pol-key')).json;
    assert.deepEqual(g.apply_policies, ['gold']);
    assert.equal(g.rate, 500);
    assert.deepEqual(Object.keys(g.access_rights), ['other-api']);
    errorBody(await admin.call('POST', '/tyk/keys/policy/ffffffff', { policy: 'gold' }), 404, 'Key not found');
    errorBody(await admin.call('POST', `/tyk/keys/policy/${hashKeyId('org1pol-key')}`, '{"policy": 5}'), 400, "Couldn't decode instruction");

    const before = await tg.redis.dbsize();
    const preview = await admin.call<Session>('POST', '/tyk/keys/preview', { org_id: ORG, apply_policies: ['silver'] });
    assert.equal(preview.status, 200);
    assert.equal(preview.json.rate, 5);
    assert.equal(await tg.redis.dbsize(), before);
  });

  test('/tyk/keys/create: HMAC secret generated; a certificate-derived key is created once', async () => {
    const res = await admin.call<Json>('POST', '/tyk/keys/create', session({ hmac_enabled: true }));
    assert.equal(res.status, 200, res.text);
    const key = String(res.json.key);
    created.push(key);
    assert.equal(res.json.key_hash, hashKeyId(key));
    const stored = JSON.parse((await tg.redis.get(`apikey-${hashKeyId(key)}`))!) as Json;
    assert.match(String(stored.hmac_string), /^[A-Za-z0-9+/]+=*$/);
    const cert = session({ certificate: 'cert-abc' });
    const first = await admin.call<Json>('POST', '/tyk/keys/create', cert);
    assert.equal(first.json.key, 'org1cert-abc');
    errorBody(await admin.call('POST', '/tyk/keys/create', cert), 500, 'Failed to create key - Key with given certificate already found:org1cert-abc');
  });

  test('routing: 405 for other methods, 404 text for unknown paths, 400 for hashed GET only without hash_keys', async () => {
    errorBody(await admin.call('PATCH', '/tyk/keys/x'), 405, 'Method not supported');
    errorBody(await admin.call('GET', '/tyk/keys/policy/abc'), 405, 'Method not supported');
    const unknown = await admin.call('GET', '/tyk/keys/a/b');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, '404 page not found');
    assert.equal((await admin.call('GET', '/tyk/keys/', undefined, null)).status, 403, 'the secret is required');
  });
});

describe('keys API without hash_keys, hash_key_function murmur64, master keys allowed, min_token_length 0', () => {
  let redis: RedisServer;
  let tg: Tollgate;
  let admin: AdminClient;

  before(async () => {
    redis = await startRedisServer();
    tg = await startTollgate({ redisPort: redis.port, workers: 0, config: { hash_keys: false, hash_key_function: 'murmur64', allow_master_keys: true, min_token_length: 0 } });
    admin = new AdminClient({ baseUrl: tg.controlUrl, secret: tg.secret });
    await admin.ok(admin.createApi(keylessApi('keys-api', '/keys-api/', TARGET, { org_id: ORG })));
  });
  after(async () => {
    await tg?.stop();
    await redis?.stop();
  });

  test('custom keys become base64 JSON IDs stored as they are; no key_hash', async () => {
    const res = await admin.call<Json>('POST', '/tyk/keys/bob', session());
    const expected = generateKeyId({ orgId: ORG, customId: 'bob', hashKeyFunction: 'murmur64' });
    assert.deepEqual(res.json, { key: expected, status: 'ok', action: 'added' });
    assert.equal(await tg.redis.exists(`apikey-${expected}`), 1);
    assert.equal((await admin.call('GET', `/tyk/keys/bob?org_id=${ORG}`)).status, 200);
    assert.equal((await admin.call('GET', `/tyk/keys/bob?username=true&org_id=${ORG}`)).status, 200);
    errorBody(await admin.call('GET', `/tyk/keys/${expected}?hashed=1`), 400, 'Key requested by hash but key hashing is not enabled');
  });

  test('an explicit min_token_length 0 means Tyk\'s default 3: a 2-character custom ID is refused, naming 3', async () => {
    errorBody(await admin.call('POST', '/tyk/keys/ab', session()), 400,
      'custom key ID length 2 is less than min_token_length (3); the key would be unreachable at auth time. Use an ID of at least min_token_length characters, or lower min_token_length in the gateway configuration.');
    const made = await admin.call<Json>('POST', '/tyk/keys/abc', session());
    assert.equal(made.status, 200, made.text);
    assert.equal((await admin.call('DELETE', `/tyk/keys/${String(made.json.key)}`)).status, 200, 'removed again: the listing test counts keys');
  });

  test('master keys are allowed; listing needs filter with api_id and finds the org\'s JSON IDs', async () => {
    const master = await admin.call<Json>('POST', '/tyk/keys', { org_id: ORG, access_rights: {} });
    assert.equal(master.status, 200, master.text);
    errorBody(await admin.call('GET', '/tyk/keys?api_id=keys-api'), 400, "The 'filter' parameter (Org ID) is required when filtering by 'api_id' in legacy mode");
    const listed = (await admin.call<{ keys: string[] }>('GET', `/tyk/keys?filter=${ORG}`)).json.keys;
    assert.ok(listed.includes(generateKeyId({ orgId: ORG, customId: 'bob', hashKeyFunction: 'murmur64' })));
    assert.ok(listed.includes(String(master.json.key)));
    const forApi = (await admin.call<{ keys: string[] }>('GET', `/tyk/keys?filter=${ORG}&api_id=keys-api`)).json.keys;
    assert.equal(forApi.length, 2, 'bob, and the master key');
    assert.deepEqual((await admin.call<{ keys: string[] }>('GET', '/tyk/keys?filter=other-org')).json.keys, []);
  });
});
