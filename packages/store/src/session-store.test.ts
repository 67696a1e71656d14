import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pack } from 'msgpackr';
import { createRedisClient, waitForReady, type RedisClient } from './redis-client.js';
import { decodeJwksFlush, decodeKeyChange, SessionStore, type KeyChange } from './session-store.js';
import { KeyChangeFeed } from './key-change-feed.js';
import { counterIdentity, keyLayout } from './key-layout.js';
import { startTestRedis, type TestRedisServer } from './test-redis-server.js';

let server: TestRedisServer;
let redis: RedisClient;
let store: SessionStore;

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:sessions' });
  await waitForReady(redis, 5000);
  store = new SessionStore(redis);
});

after(async () => {
  redis.disconnect();
  await server.stop();
});

beforeEach(async () => {
  await redis.flushall();
});

/** Collects key-change messages on a separate subscriber until `n` arrived (bounded wait). */
async function collectChanges(run: () => Promise<void>, n: number): Promise<KeyChange[]> {
  const sub = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:sessions-sub', isSubscriber: true });
  sub.on('error', () => undefined);
  const changes: KeyChange[] = [];
  const feed = new KeyChangeFeed({ subscriber: sub, onChange: (c) => changes.push(c), onReset: () => undefined });
  try {
    await feed.start();
    await run();
    const deadline = Date.now() + 5000;
    while (changes.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return changes;
  } finally {
    await feed.stop();
    sub.disconnect();
  }
}

describe('SessionStore', () => {
  it('stores JSON at apikey-<storage id> with the TTL given, none for 0', async () => {
    await store.put('abc', '{"org_id":"o"}', 60);
    await store.put('forever', '{}', 0);
    assert.equal(await redis.get('apikey-abc'), '{"org_id":"o"}');
    assert.equal(await store.get('abc'), '{"org_id":"o"}');
    const ttl = await store.ttl('abc');
    assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);
    assert.equal(await store.ttl('forever'), -1);
    assert.equal(await store.ttl('missing'), -2);
    await store.put('abc', '{"v":2}', 0);
    assert.equal(await store.ttl('abc'), -1, 'a rewrite without lifetime removes the TTL');
  });

  it('getFirst returns the first candidate that exists, in candidate order', async () => {
    await store.put('second', '"2"', 0);
    await store.put('third', '"3"', 0);
    assert.deepEqual(await store.getFirst(['first', 'second', 'third']), { storageId: 'second', json: '"2"' });
    assert.equal(await store.getFirst(['nope', 'none']), null);
    assert.deepEqual(await store.getMany(['third', 'nope']), ['"3"', null]);
  });

  it('delete reports whether a session existed', async () => {
    await store.put('gone', '{}', 0);
    assert.equal(await store.delete('gone'), true);
    assert.equal(await store.get('gone'), null);
    assert.equal(await store.delete('gone'), false);
  });

  it('publishes {op, id} for every write and every delete that removed something, in order', async () => {
    const changes = await collectChanges(async () => {
      await store.put('k1', '{}', 0);
      await store.put('k2', '{}', 10);
      await store.delete('k1');
      await store.delete('never-existed');
      await store.put('k3', '{}', 0);
    }, 4);
    assert.deepEqual(changes, [
      { op: 'put', id: 'k1' }, { op: 'put', id: 'k2' }, { op: 'delete', id: 'k1' }, { op: 'put', id: 'k3' },
    ]);
  });

  it('flushJwks publishes on the same channel: the feed hands it to onJwksFlush, not to onChange', async () => {
    const sub = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:sessions-sub', isSubscriber: true });
    sub.on('error', () => undefined);
    const changes: KeyChange[] = [];
    const flushes: string[] = [];
    const feed = new KeyChangeFeed({ subscriber: sub, onChange: (c) => changes.push(c), onJwksFlush: (f) => flushes.push(f.apiId), onReset: () => undefined });
    try {
      await feed.start();
      await store.flushJwks('api-1');
      await store.put('k1', '{}', 0);
      await store.flushJwks('');
      const deadline = Date.now() + 5000;
      while (flushes.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(flushes, ['api-1', '']);
      assert.deepEqual(changes, [{ op: 'put', id: 'k1' }]);
    } finally {
      await feed.stop();
      sub.disconnect();
    }
  });

  it('lists storage IDs by prefix with SCAN, bounded by the limit', async () => {
    for (let i = 0; i < 30; i++) await store.put(`orgA${i}`, '{}', 0);
    for (let i = 0; i < 5; i++) await store.put(`orgB${i}`, '{}', 0);
    await store.put('org*literal', '{}', 0);
    await redis.set('quota-orgA1', '1');
    const a = await store.list({ prefix: 'orgA', limit: 1000 });
    assert.equal(a.truncated, false);
    assert.equal(a.ids.length, 30);
    assert.ok(a.ids.every((id) => id.startsWith('orgA')));
    assert.deepEqual((await store.list({ prefix: 'org*', limit: 1000 })).ids, ['org*literal'], 'glob characters match literally');
    const all = await store.list({ limit: 1000 });
    assert.equal(all.ids.length, 36);
    const bounded = await store.list({ limit: 10 });
    assert.deepEqual([bounded.ids.length, bounded.truncated], [10, true]);
  });

  it('reads and resets quota counters per scope; counter names never contain the storage id', async () => {
    const id = 'raw-secret-key';
    const session = {
      quota_max: 10, quota_renewal_rate: 60,
      access_rights: { api1: { api_id: 'api1', limit: { rate: 0, per: 0, quota_max: 5, quota_renewal_rate: 60 }, allowance_scope: 'api1' } },
    };
    assert.equal((await store.withQuotaRemaining(id, session, Date.now())).quota_remaining, 10);
    await redis.set(keyLayout.quotaCounter('', id), '7');
    await redis.set(keyLayout.quotaCounter('api1', id), '3');
    await redis.set(keyLayout.rateCounter('api1', id), 'x');
    const shown = await store.withQuotaRemaining(id, session, Date.now());
    assert.equal(shown.quota_remaining, 3);
    assert.equal(shown.access_rights!.api1!.limit!.quota_remaining, 2);
    for (const key of await redis.keys('tg:*')) {
      assert.ok(!key.includes(id), key);
      assert.ok(key.includes(counterIdentity(id)), key);
    }
    await store.resetCounters(id, ['api1']);
    assert.deepEqual(await redis.keys('tg:*'), []);
  });
});

describe('decodeKeyChange', () => {
  it('accepts {op, id} and refuses anything else without throwing', () => {
    assert.deepEqual(decodeKeyChange(pack({ op: 'put', id: 'x', extra: 1 })), { op: 'put', id: 'x' });
    assert.equal(decodeKeyChange(pack({ op: 'upsert', id: 'x' })), null);
    assert.equal(decodeKeyChange(pack({ op: 'put', id: '' })), null);
    assert.equal(decodeKeyChange(pack('nope')), null);
    assert.equal(decodeKeyChange(Buffer.from([0xc1, 0xff])), null);
  });
});

describe('decodeJwksFlush', () => {
  it('accepts {op: "jwks", api_id} ("" = every API) and refuses anything else without throwing', () => {
    assert.deepEqual(decodeJwksFlush(pack({ op: 'jwks', api_id: 'a1' })), { apiId: 'a1' });
    assert.deepEqual(decodeJwksFlush(pack({ op: 'jwks', api_id: '' })), { apiId: '' });
    assert.equal(decodeJwksFlush(pack({ op: 'jwks' })), null);
    assert.equal(decodeJwksFlush(pack({ op: 'put', id: 'x' })), null);
    assert.equal(decodeJwksFlush(Buffer.from([0xc1, 0xff])), null);
  });
});
