import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pack } from 'msgpackr';
import { createRedisClient, waitForReady, type RedisClient } from './redis-client.js';
import { ConfigStore, type ConfigSnapshot } from './config-store.js';
import { ConfigFeed } from './config-feed.js';
import { CONFIG_KINDS, keyLayout, type ConfigKind } from './key-layout.js';
import type { ChangeMessage } from './change-message.js';
import { startTestRedis, type TestRedisServer } from './test-redis-server.js';

let server: TestRedisServer;
let redis: RedisClient;
let store: ConfigStore;
const clients: RedisClient[] = [];
const feeds: ConfigFeed[] = [];

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:feed-writer' });
  await waitForReady(redis, 5000);
  store = new ConfigStore(redis);
});

after(async () => {
  for (const feed of feeds.splice(0)) await feed.stop();
  for (const client of clients.splice(0)) client.disconnect();
  redis.disconnect();
  await server.stop();
});

beforeEach(async () => {
  for (const feed of feeds.splice(0)) await feed.stop();
  for (const client of clients.splice(0)) client.disconnect();
  await redis.flushall();
});

type State = Map<ConfigKind, Map<string, string>>;

interface Reader {
  readonly feed: ConfigFeed;
  readonly state: State;
  /** What the handlers saw, in order. */
  readonly events: Array<{ type: 'snapshot'; revision: number } | { type: 'change'; change: ChangeMessage; json: string | null }>;
  readonly logs: Array<{ level: 'info' | 'warn'; obj: Record<string, unknown>; msg: string }>;
}

/** A feed on its own subscriber connection whose handlers keep a copy of the configuration. */
function createReader(options: { pollIntervalMs?: number; workerId?: string } = {}): Reader {
  const subscriber = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:feed-sub', isSubscriber: true });
  clients.push(subscriber);
  // As the worker does: connection errors are logged, ioredis reconnects by itself.
  subscriber.on('error', () => undefined);
  const state: State = new Map();
  const events: Reader['events'] = [];
  const logs: Reader['logs'] = [];
  const feed = new ConfigFeed({
    store,
    subscriber,
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
    ...(options.workerId ? { workerId: options.workerId } : {}),
    logger: {
      info: (obj, msg) => logs.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
      warn: (obj, msg) => logs.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    },
    handlers: {
      onSnapshot(snapshot: ConfigSnapshot) {
        events.push({ type: 'snapshot', revision: snapshot.revision });
        state.clear();
        for (const [kind, objects] of snapshot.objects) state.set(kind, new Map(objects));
      },
      onChange(change, json) {
        events.push({ type: 'change', change, json });
        const objects = state.get(change.kind) ?? new Map<string, string>();
        state.set(change.kind, objects);
        if (json === null) objects.delete(change.id);
        else objects.set(change.id, json);
      },
    },
  });
  feeds.push(feed);
  return { feed, state, events, logs };
}

/** Waits for a condition the feed reaches asynchronously (the test's timeout bounds the wait). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

function plain(state: ReadonlyMap<ConfigKind, ReadonlyMap<string, string>>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const kind of CONFIG_KINDS) out[kind] = Object.fromEntries(state.get(kind) ?? new Map());
  return out;
}

async function assertConverged(reader: Reader): Promise<void> {
  await until(async () => reader.feed.revision === (await store.revision()));
  const snap = await store.snapshot();
  assert.equal(reader.feed.revision, snap.revision);
  assert.deepEqual(plain(reader.state), plain(snap.objects));
}

describe('ConfigFeed', () => {
  it('applies the snapshot at start, then each change in revision order', async () => {
    await store.put('api', 'a1', '{"v":1}');
    await store.put('policy', 'p1', '{}');
    const reader = createReader();
    await reader.feed.start();
    assert.equal(reader.feed.revision, 2);
    assert.deepEqual(reader.events, [{ type: 'snapshot', revision: 2 }]);
    assert.equal(reader.state.get('api')?.get('a1'), '{"v":1}');

    await store.put('api', 'a2', '{"v":2}');
    await store.put('api', 'a1', '{"v":3}');
    await store.delete('policy', 'p1');
    await until(() => reader.feed.revision === 5);
    assert.deepEqual(reader.events.slice(1), [
      { type: 'change', change: { revision: 3, kind: 'api', id: 'a2', op: 'put' }, json: '{"v":2}' },
      { type: 'change', change: { revision: 4, kind: 'api', id: 'a1', op: 'put' }, json: '{"v":3}' },
      { type: 'change', change: { revision: 5, kind: 'policy', id: 'p1', op: 'delete' }, json: null },
    ]);
    await assertConverged(reader);
  });

  it('converges to the store after its subscriber connection is killed while changes are written', async () => {
    const reader = createReader({ pollIntervalMs: 100 });
    await reader.feed.start();
    const admin = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:admin' });
    clients.push(admin);
    admin.on('error', () => undefined);
    for (let round = 0; round < 3; round++) {
      const writes: Promise<number>[] = [];
      for (let i = 0; i < 20; i++) writes.push(store.put('policy', `k${round}-${i}`, `{"round":${round}}`));
      // Messages published while the subscriber is away are lost; the feed must notice and resync.
      await until(async () => Number((await admin.pubsub('NUMSUB', keyLayout.changeChannel))[1]) === 1);
      const killed = await admin.client('KILL', 'TYPE', 'pubsub');
      assert.equal(Number(killed), 1, 'the feed subscriber was connected');
      for (let i = 0; i < 20; i++) writes.push(i % 2 ? store.delete('policy', `k${round}-${i}`) : store.put('api', `a${round}-${i}`, '{}'));
      await Promise.all(writes);
    }
    await assertConverged(reader);
    assert.ok(reader.events.filter((e) => e.type === 'snapshot').length >= 2, 'resynchronised from a snapshot');
    // Still live after the reconnects: a new change arrives.
    await store.put('cert', 'c1', 'pem');
    await assertConverged(reader);
    assert.equal(reader.state.get('cert')?.get('c1'), 'pem');
  });

  it('resynchronises from a snapshot when a revision is skipped', async () => {
    // The periodic revision check would also notice (with its own reason) if it ran between the lost
    // change and the next message: here only the gap in the messages may find it.
    const reader = createReader({ pollIntervalMs: 600_000 });
    await store.put('api', 'a1', '{}');
    await reader.feed.start();
    // A change whose message was lost: the object and revision moved, nothing was published.
    await redis.hset(keyLayout.objects('api'), 'lost', '{"lost":true}');
    await redis.incr(keyLayout.revision);
    await store.put('api', 'a2', '{}');
    await until(() => reader.feed.revision === 3);
    assert.deepEqual(reader.events.map((e) => e.type), ['snapshot', 'snapshot']);
    const resync = reader.logs.find((l) => l.msg === 'configuration resynchronised');
    assert.deepEqual(resync?.obj, { reason: 'revision gap: have 1, got 3', from: 1, to: 3 });
    assert.equal(reader.state.get('api')?.get('lost'), '{"lost":true}');
    await assertConverged(reader);
  });

  it('notices a lost last message by polling the revision counter', async () => {
    const reader = createReader({ pollIntervalMs: 50 });
    await reader.feed.start();
    await redis.hset(keyLayout.objects('policy'), 'k', '{}');
    await redis.incr(keyLayout.revision);
    await assertConverged(reader);
    assert.equal(reader.state.get('policy')?.get('k'), '{}');
  });

  it('logs and ignores a malformed message, then keeps applying changes', async () => {
    const reader = createReader();
    await reader.feed.start();
    await redis.publish(keyLayout.changeChannel, Buffer.from('not msgpack'));
    await redis.publish(keyLayout.changeChannel, pack({ revision: 1, kind: 'nope', id: 'x', op: 'put' }));
    await store.put('api', 'a1', '{}');
    await until(() => reader.feed.revision === 1);
    assert.equal(reader.logs.filter((l) => l.msg === 'ignored a malformed configuration change message').length, 2);
    assert.deepEqual(reader.events.map((e) => e.type), ['snapshot', 'change']);
  });

  it('keeps two readers in step with each other and the store', async () => {
    const first = createReader({ pollIntervalMs: 100 });
    const second = createReader({ pollIntervalMs: 100 });
    await first.feed.start();
    const writes: Promise<number>[] = [];
    for (let i = 0; i < 50; i++) writes.push(i % 5 === 4 ? store.delete('api', `a${i - 1}`) : store.put('api', `a${i}`, `{"i":${i}}`));
    await second.feed.start();
    for (let i = 0; i < 10; i++) writes.push(store.put('policy', `p${i}`, '{}'));
    await Promise.all(writes);
    await assertConverged(first);
    await assertConverged(second);
    assert.deepEqual(plain(first.state), plain(second.state));
  });

  it('reports the applied revision under its worker id and forgets it on stop', async () => {
    const reader = createReader({ workerId: 'node-a:1' });
    await store.put('api', 'a1', '{}');
    await reader.feed.start();
    assert.deepEqual(await store.liveWorkers(60_000), new Map([['node-a:1', 1]]));
    await store.put('api', 'a2', '{}');
    await until(async () => (await store.liveWorkers(60_000)).get('node-a:1') === 2);
    await reader.feed.stop();
    assert.deepEqual(await store.liveWorkers(60_000), new Map());
  });
});
