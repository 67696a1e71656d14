import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createRedisClient, waitForReady, type RedisClient } from './redis-client.js';
import { ConfigStore } from './config-store.js';
import { decodeChangeMessage, type ChangeMessage } from './change-message.js';
import { keyLayout } from './key-layout.js';
import { startTestRedis, type TestRedisServer } from './test-redis-server.js';

let server: TestRedisServer;
let redis: RedisClient;
let store: ConfigStore;

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:config-store' });
  await waitForReady(redis, 5000);
  store = new ConfigStore(redis);
});

after(async () => {
  redis.disconnect();
  await server.stop();
});

beforeEach(async () => {
  await redis.flushall();
});

/** Subscribes a dedicated connection and collects decoded change messages. */
async function subscribe(): Promise<{ messages: Array<ChangeMessage | null>; next(count: number): Promise<void>; close(): void }> {
  const sub = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:sub', isSubscriber: true });
  const messages: Array<ChangeMessage | null> = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  sub.on('messageBuffer', (_channel: Buffer, payload: Buffer) => {
    messages.push(decodeChangeMessage(payload));
    for (const w of waiters.splice(0)) {
      if (messages.length >= w.count) w.resolve();
      else waiters.push(w);
    }
  });
  await sub.subscribe(keyLayout.changeChannel);
  return {
    messages,
    next: (count) => (messages.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    close: () => sub.disconnect(),
  };
}

describe('ConfigStore put/get/list/delete', () => {
  it('stores the JSON text as given and lists it by kind', async () => {
    const json = '{"api_id":"a1","unknown_field":[1,2]}';
    assert.equal(await store.put('api', 'a1', json), 1);
    assert.equal(await store.put('policy', 'p1', '{"id":"p1"}'), 2);
    assert.equal(await store.get('api', 'a1'), json);
    assert.equal(await store.get('api', 'p1'), null, 'kinds are separate');
    assert.deepEqual(await store.list('api'), new Map([['a1', json]]));
    assert.deepEqual(await store.list('policy'), new Map([['p1', '{"id":"p1"}']]));
    assert.deepEqual(await store.list('cert'), new Map());
  });

  it('bumps one revision counter shared by every kind, for put, overwrite and delete', async () => {
    assert.equal(await store.revision(), 0);
    assert.equal(await store.put('api', 'a', '{}'), 1);
    assert.equal(await store.put('policy', 'k', '{}'), 2);
    assert.equal(await store.put('api', 'a', '{"v":2}'), 3);
    assert.equal(await store.get('api', 'a'), '{"v":2}');
    assert.equal(await store.delete('api', 'a'), 4);
    assert.equal(await store.get('api', 'a'), null);
    assert.equal(await store.revision(), 4);
  });

  it('returns 0 for a delete of a missing id, keeps the revision and publishes nothing', async () => {
    const sub = await subscribe();
    try {
      await store.put('api', 'present', '{}');
      assert.equal(await store.delete('api', 'missing'), 0);
      assert.equal(await store.delete('policy', 'present'), 0, 'an id of another kind is missing too');
      assert.equal(await store.revision(), 1);
      assert.equal(await store.put('api', 'after', '{}'), 2);
      await sub.next(2);
      // Had the failed deletes published, a message would sit between these two.
      assert.deepEqual(sub.messages, [
        { revision: 1, kind: 'api', id: 'present', op: 'put' },
        { revision: 2, kind: 'api', id: 'after', op: 'put' },
      ]);
    } finally {
      sub.close();
    }
  });
});

describe('ConfigStore snapshot', () => {
  it('holds the revision and every object of every kind', async () => {
    await store.put('api', 'a1', '{"a":1}');
    await store.put('api', 'a2', '{"a":2}');
    await store.put('policy', 'k1', '{"k":1}');
    await store.put('cert', 'c1', 'pem');
    await store.put('endpoint', 'admin-api', '{"url":"http://127.0.0.1:1"}');
    await store.delete('api', 'a2');
    const snap = await store.snapshot();
    assert.equal(snap.revision, 6);
    assert.deepEqual(snap.objects, new Map([
      ['api', new Map([['a1', '{"a":1}']])],
      ['policy', new Map([['k1', '{"k":1}']])],
      ['cert', new Map([['c1', 'pem']])],
      ['endpoint', new Map([['admin-api', '{"url":"http://127.0.0.1:1"}']])],
    ]));
  });

  it('is revision 0 with empty maps on an empty Redis', async () => {
    const snap = await store.snapshot();
    assert.equal(snap.revision, 0);
    for (const objects of snap.objects.values()) assert.equal(objects.size, 0);
  });

  it('reads only the kinds asked for', async () => {
    await store.put('api', 'a1', '{}');
    await store.put('policy', 'k1', '{}');
    const snap = await store.snapshot(['policy']);
    assert.deepEqual([...snap.objects.keys()], ['policy']);
    assert.equal(snap.revision, 2);
  });

  it('never shows a revision that disagrees with the objects while writes run concurrently', async () => {
    // Each put i stores object "n" = i at revision i: a consistent snapshot has objects.n === revision.
    const writes = (async () => {
      for (let i = 1; i <= 200; i++) await store.put('api', 'n', String(i));
    })();
    const checks: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      checks.push(store.snapshot(['api']).then((snap) => {
        const n = snap.objects.get('api')!.get('n');
        assert.equal(n === undefined ? 0 : Number(n), snap.revision);
      }));
    }
    await Promise.all([writes, ...checks]);
  });
});

describe('ConfigStore change messages', () => {
  it('publishes one msgpack message per change, decodable and in revision order', async () => {
    const sub = await subscribe();
    try {
      await store.put('api', 'x', '{}');
      const writes: Promise<number>[] = [];
      for (let i = 0; i < 30; i++) writes.push(i % 3 === 2 ? store.delete('policy', `k${i - 1}`) : store.put('policy', `k${i}`, '{}'));
      const revisions = await Promise.all(writes);
      const total = 1 + revisions.filter((r) => r > 0).length;
      await sub.next(total);
      assert.equal(sub.messages.length, total);
      assert.ok(sub.messages.every((m) => m !== null), 'every message decodes');
      assert.deepEqual(sub.messages.map((m) => m!.revision), Array.from({ length: total }, (_, i) => i + 1));
      assert.deepEqual(sub.messages[0], { revision: 1, kind: 'api', id: 'x', op: 'put' });
      const deletes = sub.messages.filter((m) => m!.op === 'delete');
      assert.equal(deletes.length, 10);
      assert.ok(deletes.every((m) => m!.kind === 'policy'));
    } finally {
      sub.close();
    }
  });
});

describe('ConfigStore workers', () => {
  it('lists the revisions of workers that reported recently and forgets a worker', async () => {
    await store.reportApplied('node-1:100', 7);
    await store.reportApplied('node-1:101', 6);
    // A worker that last reported a minute ago (died without forgetting itself).
    await redis.hset(keyLayout.workers, 'node-2:200', `5:${Date.now() - 60_000}`);
    assert.deepEqual(await store.liveWorkers(10_000), new Map([['node-1:100', 7], ['node-1:101', 6]]));
    assert.equal((await store.liveWorkers(120_000)).get('node-2:200'), 5);
    await store.forgetWorker('node-1:101');
    assert.deepEqual(await store.liveWorkers(10_000), new Map([['node-1:100', 7]]));
  });

  it('keeps only the latest report of a worker', async () => {
    await store.reportApplied('w', 1);
    await store.reportApplied('w', 9);
    assert.deepEqual(await store.liveWorkers(10_000), new Map([['w', 9]]));
  });
});
