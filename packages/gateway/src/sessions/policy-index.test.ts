import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigFeed, ConfigStore, createRedisClient, waitForReady, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import { PolicyIndex } from './policy-index.js';

let server: TestRedisServer;
let redis: RedisClient;
let subscriber: RedisClient;

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:policy-writer' });
  subscriber = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:policy-sub', isSubscriber: true });
  subscriber.on('error', () => undefined);
  await waitForReady(redis, 5000);
});
after(async () => {
  subscriber.disconnect();
  redis.disconnect();
  await server.stop();
});

async function until(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return condition();
}

describe('PolicyIndex fed by the configuration feed', () => {
  it('takes policies from the snapshot, then follows puts and deletes; other kinds are ignored', async () => {
    const store = new ConfigStore(redis);
    await store.put('policy', 'p1', JSON.stringify({ id: 'p1', rate: 1, per: 1 }));
    await store.put('policy', 'broken', 'not json');
    const index = new PolicyIndex({ warn: () => undefined });
    const feed = new ConfigFeed({
      store, subscriber, pollIntervalMs: 60_000, logger: { warn: () => undefined, info: () => undefined },
      handlers: { onSnapshot: (s) => index.onSnapshot(s), onChange: (c, json) => index.onChange(c, json) },
    });
    await feed.start();
    try {
      assert.deepEqual([index.size, index.get('p1')?.rate], [1, 1], 'a malformed stored policy is skipped');
      const revision = index.revision;
      await store.put('policy', 'p2', JSON.stringify({ rate: 2, per: 1 }));
      assert.ok(await until(() => index.get('p2') !== undefined));
      assert.equal(index.get('p2')?.id, 'p2', 'the ID comes from the store when the body lacks one');
      assert.ok(index.revision > revision);
      await store.put('policy', 'p1', JSON.stringify({ id: 'p1', rate: 100, per: 1 }));
      assert.ok(await until(() => index.get('p1')?.rate === 100));
      await store.delete('policy', 'p1');
      assert.ok(await until(() => index.get('p1') === undefined));
      const before = index.revision;
      await store.put('api', 'a1', '{}');
      await store.put('policy', 'p3', '{}');
      assert.ok(await until(() => index.get('p3') !== undefined));
      assert.equal(index.revision, before + 1, 'the API change did not count');
    } finally {
      await feed.stop();
    }
  });
});
