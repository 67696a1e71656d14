import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { pack } from 'msgpackr';
import type { Policy, SessionState } from '@tollgate/apidef';
import { createRedisClient, keyLayout, SessionStore, waitForReady, type ChangeMessage, type RedisClient } from '@tollgate/store';
import { startTestRedis, type TestRedisServer } from '@tollgate/store/testing';
import { PolicyIndex } from './policy-index.js';
import { newPeekMemo, SessionCache, type SessionLookup } from './session-cache.js';

let server: TestRedisServer;
let redis: RedisClient;
let store: SessionStore;
const closers: Array<() => Promise<void> | void> = [];
const silent = { warn: () => undefined, info: () => undefined };

before(async () => {
  server = await startTestRedis();
  redis = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:cache-writer' });
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
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A cache on its own subscriber connection, as one worker process would have. */
async function newCache(policies = new PolicyIndex(), options: { ttlMs?: number } = {}): Promise<{ cache: SessionCache; subscriber: RedisClient }> {
  const subscriber = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:cache-sub', isSubscriber: true });
  subscriber.on('error', () => undefined);
  const cache = new SessionCache({ store, subscriber, policies, logger: silent, ...options });
  await cache.start();
  closers.push(() => subscriber.disconnect(), () => cache.stop());
  return { cache, subscriber };
}

/** Polls a condition every 10 ms for at most `ms`; returns whether it became true. */
async function within(ms: number, condition: () => boolean | Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sessionOf = (lookup: SessionLookup | undefined): SessionState | undefined => (lookup?.found ? lookup.session : undefined);

// A write publishes a key-change message that evicts the key; a cache subscribed while that message is in
// flight may drop a load it overlapped (by design). Tests that assert caching write before subscribing.
describe('SessionCache', () => {
  it('loads through the SessionStore and then answers from memory without Redis', async () => {
    // Written before the cache subscribes: the write's own key-change message must not race the load below.
    await store.put('k1', JSON.stringify({ org_id: 'o', alias: 'first' }), 0);
    const { cache } = await newCache();
    assert.equal(cache.peek(['k1'], 'o'), undefined, 'nothing cached yet');
    assert.equal(sessionOf(await cache.get(['k1'], 'o'))?.alias, 'first');
    await redis.set(keyLayout.session('k1'), JSON.stringify({ alias: 'changed behind the cache' }));
    assert.equal(sessionOf(cache.peek(['k1'], 'o'))?.alias, 'first', 'a hit does not go to Redis');
  });

  it('disabled (local_session_cache.disable_cached_session_state): every get reads Redis, peek never answers', async () => {
    await store.put('k1', JSON.stringify({ org_id: 'o', alias: 'first' }), 0);
    const subscriber = createRedisClient({ host: '127.0.0.1', port: server.port }, { name: 'test:cache-sub', isSubscriber: true });
    subscriber.on('error', () => undefined);
    closers.push(() => subscriber.disconnect());
    // It still follows the key-change channel (for JWKS flushes), but keeps nothing.
    const cache = new SessionCache({ store, subscriber, policies: new PolicyIndex(), logger: silent, disabled: true });
    await cache.start();
    const hit = await cache.get(['absent', 'k1'], 'o');
    assert.deepEqual(hit.found && [hit.storageId, hit.session.alias], ['k1', 'first']);
    assert.equal(cache.peek(['absent', 'k1'], 'o', newPeekMemo()), undefined);
    await redis.set(keyLayout.session('k1'), JSON.stringify({ alias: 'changed behind the cache' }));
    await redis.set(keyLayout.session('absent'), JSON.stringify({ alias: 'now there' }));
    assert.equal(sessionOf(await cache.get(['absent', 'k1'], 'o'))?.alias, 'now there');
    await redis.del(keyLayout.session('absent'));
    assert.equal(sessionOf(await cache.get(['absent', 'k1'], 'o'))?.alias, 'changed behind the cache');
    assert.equal(cache.size, 0);
    await cache.stop();
  });

  it('returns the first candidate that exists, in order, and remembers absent ones', async () => {
    await store.put('second', JSON.stringify({ alias: '2' }), 0);
    await store.put('third', JSON.stringify({ alias: '3' }), 0);
    const { cache } = await newCache();
    const hit = await cache.get(['first', 'second', 'third'], '');
    assert.deepEqual(hit.found && [hit.storageId, hit.session.alias], ['second', '2']);
    assert.equal(sessionOf(cache.peek(['first', 'second'], ''))?.alias, '2', 'answered from memory, absent first included');
    assert.deepEqual(await cache.get(['nope'], ''), { found: false });
    assert.deepEqual(cache.peek(['nope'], ''), { found: false });
  });

  it('a key created after a miss is found at once: the write evicts the remembered absence', async () => {
    const { cache } = await newCache();
    assert.deepEqual(await cache.get(['late'], ''), { found: false });
    await store.put('late', JSON.stringify({ alias: 'now here' }), 0);
    assert.ok(await within(1000, () => cache.peek(['late'], '') === undefined));
    assert.equal(sessionOf(await cache.get(['late'], ''))?.alias, 'now here');
  });

  it('a deleted key is gone from the cache of another process-local cache instance within one second', async () => {
    const a = await newCache();
    const b = await newCache();
    await store.put('victim', JSON.stringify({ alias: 'v' }), 0);
    for (const { cache } of [a, b]) assert.equal((await cache.get(['victim'], '')).found, true);
    await store.delete('victim');
    const gone = await within(1000, async () => {
      const [ra, rb] = await Promise.all([a.cache.get(['victim'], ''), b.cache.get(['victim'], '')]);
      return !ra.found && !rb.found;
    });
    assert.equal(gone, true, 'both caches dropped the deleted key within 1 s');
  });

  it('a changed key is served in its new form by every cache within one second', async () => {
    const a = await newCache();
    const b = await newCache();
    await store.put('mutable', JSON.stringify({ alias: 'old' }), 0);
    for (const { cache } of [a, b]) await cache.get(['mutable'], '');
    await store.put('mutable', JSON.stringify({ alias: 'new' }), 0);
    assert.ok(await within(1000, async () =>
      sessionOf(await a.cache.get(['mutable'], ''))?.alias === 'new' && sessionOf(await b.cache.get(['mutable'], ''))?.alias === 'new'));
  });

  it('clears itself when its subscriber reconnects (messages published meanwhile are lost)', async () => {
    await store.put('k', JSON.stringify({ alias: 'before' }), 0);
    const { cache } = await newCache();
    await cache.get(['k'], '');
    // Changed without a message, as if the message had been published while the subscriber was away.
    await redis.set(keyLayout.session('k'), JSON.stringify({ alias: 'after' }));
    await redis.client('KILL', 'TYPE', 'pubsub');
    assert.ok(await within(5000, () => cache.size === 0), 'cache cleared after the reconnect');
    assert.equal(sessionOf(await cache.get(['k'], ''))?.alias, 'after');
  });

  it('ignores malformed key-change messages', async () => {
    await store.put('k', JSON.stringify({ alias: 'x' }), 0);
    const { cache } = await newCache();
    await cache.get(['k'], '');
    assert.deepEqual(await cache.get(['other'], ''), { found: false });
    await redis.publish(keyLayout.keyChangeChannel, pack({ op: 'explode', id: 'k' }));
    await redis.publish(keyLayout.keyChangeChannel, Buffer.from('not msgpack'));
    // Messages arrive in order: once this one evicted 'other', the malformed ones were handled.
    await store.put('other', '{}', 0);
    assert.ok(await within(1000, () => cache.peek(['other'], '') === undefined));
    assert.equal(sessionOf(cache.peek(['k'], ''))?.alias, 'x', 'still cached');
  });
});

describe('SessionCache peek memos', () => {
  it('a memo answers hits with the same lookup; a deleted key is gone from it within one second', async () => {
    await store.put('memo-k', JSON.stringify({ alias: 'm' }), 0);
    const { cache } = await newCache();
    const memo = newPeekMemo();
    const loaded = await cache.get(['memo-k'], '');
    assert.equal(cache.peek(['memo-k'], '', memo), loaded);
    await redis.set(keyLayout.session('memo-k'), JSON.stringify({ alias: 'changed behind the cache' }));
    assert.equal(cache.peek(['memo-k'], '', memo), loaded, 'still answered from memory');
    await store.delete('memo-k');
    assert.ok(await within(1000, () => cache.peek(['memo-k'], '', memo) === undefined), 'the deletion reached the memo');
    assert.deepEqual(await cache.get(['memo-k'], ''), { found: false });
    assert.deepEqual(cache.peek(['memo-k'], '', memo), { found: false });
  });

  it('a memo never outlives its entry: with a short TTL the next lookup goes back to Redis', async () => {
    await store.put('short', JSON.stringify({ alias: 'before' }), 0);
    const { cache } = await newCache(new PolicyIndex(), { ttlMs: 600 });
    const memo = newPeekMemo();
    await cache.get(['short'], '');
    assert.equal(sessionOf(cache.peek(['short'], '', memo))?.alias, 'before');
    await redis.set(keyLayout.session('short'), JSON.stringify({ alias: 'after' }));
    assert.ok(await within(1000, () => cache.peek(['short'], '', memo) === undefined), 'expired with its entry');
    assert.equal(sessionOf(await cache.get(['short'], ''))?.alias, 'after');
  });

  it('a memo follows policy changes and is kept per org', async () => {
    const policies = new PolicyIndex();
    const gold = (rate: number): Policy => ({ id: 'gold', org_id: 'o', rate, per: 1, access_rights: { a1: { api_id: 'a1', versions: ['Default'] } } });
    policies.onChange({ kind: 'policy', id: 'gold', op: 'put', revision: 1 }, JSON.stringify(gold(10)));
    await store.put('pm', JSON.stringify({ org_id: 'o', apply_policies: ['gold'] }), 0);
    const { cache } = await newCache(policies);
    const memo = newPeekMemo();
    await cache.get(['pm'], 'o');
    assert.equal(sessionOf(cache.peek(['pm'], 'o', memo))?.rate, 10);
    policies.onChange({ kind: 'policy', id: 'gold', op: 'put', revision: 2 }, JSON.stringify(gold(20)));
    assert.equal(sessionOf(cache.peek(['pm'], 'o', memo))?.rate, 20);
    const other = cache.peek(['pm'], 'another-org', memo);
    assert.ok(other?.found && other.policyError !== null, 'answered for the org asked about');
  });
});

describe('SessionCache with the PolicyIndex', () => {
  const change = (id: string, op: 'put' | 'delete', revision: number): ChangeMessage => ({ kind: 'policy', id, op, revision });
  const gold = (rate: number): Policy => ({ id: 'gold', org_id: 'o', rate, per: 1, access_rights: { a1: { api_id: 'a1', versions: ['Default'] } } });

  it('applies policies on read and follows a policy change without reloading the key', async () => {
    const policies = new PolicyIndex();
    policies.onChange(change('gold', 'put', 1), JSON.stringify(gold(10)));
    await store.put('pk', JSON.stringify({ org_id: 'o', apply_policies: ['gold'], rate: 1, per: 100 }), 0);
    const { cache } = await newCache(policies);
    const first = await cache.get(['pk'], 'o');
    assert.deepEqual([sessionOf(first)?.rate, sessionOf(first)?.per], [10, 1]);
    assert.deepEqual(Object.keys(sessionOf(first)!.access_rights!), ['a1']);
    assert.equal(cache.peek(['pk'], 'o'), first, 'the applied session is reused while policies are unchanged');
    policies.onChange(change('gold', 'put', 2), JSON.stringify(gold(500)));
    assert.equal(sessionOf(cache.peek(['pk'], 'o'))?.rate, 500);
  });

  it('reports a policy failure (unknown policy, other org) so the key can be refused', async () => {
    const policies = new PolicyIndex();
    policies.onChange(change('gold', 'put', 1), JSON.stringify(gold(10)));
    await store.put('orphan', JSON.stringify({ apply_policies: ['missing'] }), 0);
    await store.put('gold-key', JSON.stringify({ apply_policies: ['gold'] }), 0);
    const { cache } = await newCache(policies);
    const orphan = await cache.get(['orphan'], 'o');
    assert.ok(orphan.found && orphan.policyError === 'policy not found: "missing"');
    const otherOrg = await cache.get(['gold-key'], 'another-org');
    assert.ok(otherOrg.found && otherOrg.policyError !== null);
    const sameOrg = await cache.get(['gold-key'], 'o');
    assert.ok(sameOrg.found && sameOrg.policyError === null);
    policies.onChange(change('gold', 'delete', 2), null);
    const afterDelete = cache.peek(['gold-key'], 'o');
    assert.ok(afterDelete?.found && afterDelete.policyError !== null, 'a deleted policy fails keys that rely on it alone');
  });
});
