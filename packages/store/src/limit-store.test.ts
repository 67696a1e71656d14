import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { keyLayout, limitKeys } from './key-layout.js';
import { LimitStore, quotaCheck, rateCheck, type LimitCheck, type LimitOutcome } from './limit-store.js';
import { withQuotaRemaining } from './quota-counters.js';
import type { RedisClient } from './redis-client.js';
import { startTestRedis, startTestRedisCluster } from './test-redis-server.js';

/**
 * One contract suite for the limit scripts (style.md §7), run against a single Redis and a three-master
 * Redis Cluster started by this file. Counters are named per test so tests never share state.
 */
interface Backend {
  /** Independent connections, as several gateway workers would have. */
  clients: RedisClient[];
  stop(): Promise<void>;
}

/** Without an `onError` fallback every outcome is Redis's own (never null). */
class Store extends LimitStore {
  override async check(checks: readonly LimitCheck[]): Promise<LimitOutcome> {
    return (await super.check(checks))!;
  }
}

let unique = 0;
const id = (label: string): string => `${label}-${process.pid}-${++unique}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Admitted count of `total` concurrent requests spread over every client. */
async function burst(backend: Backend, total: number, checks: readonly LimitCheck[]): Promise<number> {
  const stores = backend.clients.map((c) => new Store(c));
  const outcomes = await Promise.all(Array.from({ length: total }, (_, i) => stores[i % stores.length]!.check(checks)));
  return outcomes.filter((o) => o.admitted).length;
}

function contract(name: string, start: () => Promise<Backend>): void {
  describe(`limit scripts contract: ${name}`, () => {
    let backend: Backend;
    let store: Store;
    let redis: RedisClient;
    before(async () => {
      backend = await start();
      redis = backend.clients[0]!;
      store = new Store(redis);
    });
    after(async () => backend?.stop());

    it('sliding log admits `capacity` per window, then refuses with the wait until the oldest leaves', async () => {
      const check = rateCheck(limitKeys.apiRate(id('log')), 5, 60_000);
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const o = await store.check([check]);
        assert.equal(o.admitted, true);
        assert.equal(o.failed, -1);
        remaining.push(o.remaining(0));
      }
      assert.deepEqual(remaining, [4, 3, 2, 1, 0]);
      const refused = await store.check([check]);
      assert.equal(refused.admitted, false);
      assert.equal(refused.failed, 0);
      assert.equal(refused.remaining(0), 0);
      assert.ok(refused.waitUs(0) > 0 && refused.waitUs(0) <= 60_000_000, `wait ${refused.waitUs(0)}`);
      assert.equal(await redis.llen(check.key), 5, 'refusals are not recorded');
      const ttl = await redis.pttl(check.key);
      assert.ok(ttl > 60_000 && ttl <= 120_000, `ttl ${ttl}: two windows`);
    });

    it('200 concurrent requests from 4 connections against 50 per 10 s admit exactly 50', async () => {
      assert.equal(await burst(backend, 200, [rateCheck(limitKeys.apiRate(id('burst')), 50, 10_000)]), 50);
    });

    it('never more than `capacity` admissions in any window (Redis time of every admission)', async () => {
      const check = rateCheck(limitKeys.apiRate(id('window')), 4, 150);
      const admittedAt: number[] = [];
      const deadline = Date.now() + 1500;
      while (Date.now() < deadline) {
        const outcomes = await Promise.all(Array.from({ length: 6 }, () => store.check([check])));
        for (const o of outcomes) if (o.admitted) admittedAt.push(o.nowUs);
        await sleep(10);
      }
      admittedAt.sort((a, b) => a - b);
      assert.ok(admittedAt.length > 8, `only ${admittedAt.length} admissions`);
      for (let i = 0; i + 4 < admittedAt.length; i++) {
        assert.ok(admittedAt[i + 4]! - admittedAt[i]! >= 150_000, `5 admissions within ${admittedAt[i + 4]! - admittedAt[i]!} µs`);
      }
    });

    it('a refused client recovers as soon as the oldest admission leaves the window (rejections cost nothing)', async () => {
      const check = rateCheck(limitKeys.apiRate(id('recover')), 2, 300);
      assert.equal((await store.check([check])).admitted, true);
      assert.equal((await store.check([check])).admitted, true);
      let refused = await store.check([check]);
      for (let i = 0; i < 5; i++) refused = await store.check([check]);
      assert.equal(refused.admitted, false);
      await sleep(Math.ceil(refused.waitUs(0) / 1000) + 5);
      assert.equal((await store.check([check])).admitted, true);
    });

    it('a smaller capacity trims the log once and applies at once', async () => {
      const key = limitKeys.apiRate(id('shrink'));
      for (let i = 0; i < 6; i++) assert.equal((await store.check([rateCheck(key, 10, 60_000)])).admitted, true);
      assert.equal((await store.check([rateCheck(key, 3, 60_000)])).admitted, false);
      assert.equal(await redis.llen(key), 3);
    });

    it('quota 100 under 300 concurrent requests from 4 connections admits exactly 100 and stops counting', async () => {
      const key = keyLayout.quotaCounter('', id('quota'));
      assert.equal(await burst(backend, 300, [quotaCheck(key, 100, 3600)]), 100);
      assert.equal(await redis.get(key), '100', 'refused requests do not increment');
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `ttl ${ttl}`);
      const refused = await store.check([quotaCheck(key, 100, 3600)]);
      assert.equal(refused.remaining(0), 0);
      assert.ok(refused.waitUs(0) > 0);
    });

    it('a quota that never renews has no TTL; remaining counts down', async () => {
      const key = keyLayout.quotaCounter('', id('forever'));
      const first = await store.check([quotaCheck(key, 3, 0)]);
      assert.equal(first.remaining(0), 2);
      assert.equal(first.waitUs(0), -1);
      assert.equal(await redis.pttl(key), -1);
    });

    it('a quota period renews after quota_renewal_rate', async () => {
      const key = keyLayout.quotaCounter('', id('renew'));
      assert.equal((await store.check([quotaCheck(key, 1, 0.2)])).admitted, true);
      const refused = await store.check([quotaCheck(key, 1, 0.2)]);
      assert.equal(refused.admitted, false);
      await sleep(Math.ceil(refused.waitUs(0) / 1000) + 20);
      assert.equal((await store.check([quotaCheck(key, 1, 0.2)])).admitted, true);
    });

    it('key rate, API-wide rate and quota together: an API-wide refusal consumes neither the key rate nor its quota', async () => {
      const keyId = id('combined');
      const api = limitKeys.apiRate(id('api'));
      const checks = [rateCheck(keyLayout.rateCounter('', keyId), 10, 60_000), rateCheck(api, 2, 60_000), quotaCheck(keyLayout.quotaCounter('', keyId), 5, 3600)];
      assert.equal((await store.check(checks)).admitted, true);
      assert.equal((await store.check(checks)).admitted, true);
      const refused = await store.check(checks);
      assert.equal(refused.admitted, false);
      assert.equal(refused.failed, 1, 'the API-wide check refused');
      // On Redis Cluster the key's slot admitted and is refunded asynchronously: wait for it, bounded.
      for (let i = 0; i < 100 && (await redis.get(checks[2]!.key)) !== '2'; i++) await sleep(10);
      assert.equal(await redis.get(checks[2]!.key), '2');
      assert.equal(await redis.llen(checks[0]!.key), 2);
    });

    it('identical requests in one turn share a call, decided in order; on Cluster the surplus is refunded', async () => {
      const keyId = id('batch');
      const checks = [rateCheck(keyLayout.rateCounter('', keyId), 10, 60_000), rateCheck(limitKeys.apiRate(id('batch-api')), 4, 60_000),
        quotaCheck(keyLayout.quotaCounter('', keyId), 8, 3600)];
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => store.check(checks)));
      assert.deepEqual(outcomes.map((o) => o.admitted), [true, true, true, true, false, false, false, false, false, false]);
      assert.equal(outcomes[9]!.failed, 1, 'the API-wide check refused');
      assert.equal(outcomes[0]!.remaining(1), 0);
      for (let i = 0; i < 100 && (await redis.get(checks[2]!.key)) !== '4'; i++) await sleep(10);
      assert.equal(await redis.get(checks[2]!.key), '4');
      assert.equal(await redis.llen(checks[0]!.key), 4);
      assert.equal(await redis.llen(checks[1]!.key), 4);
    });

    it('a batch is decided as the same requests one by one: the counters end the same, stale log entries leave', async () => {
      const label = id('same');
      const make = (suffix: string): LimitCheck[] => [
        rateCheck(keyLayout.rateCounter('', `${label}-${suffix}`), 6, 200), rateCheck(limitKeys.apiRate(`${label}-${suffix}-g`), 4, 60_000, 'G'),
        quotaCheck(keyLayout.quotaCounter('', `${label}-${suffix}`), 9, 3600),
      ];
      const [batched, single] = [make('batch'), make('single')];
      // Three admissions each, then the log's entries grow stale (a 200 ms window).
      await Promise.all(Array.from({ length: 3 }, () => store.check(batched)));
      for (let i = 0; i < 3; i++) await store.check(single);
      await sleep(250);
      const together = await Promise.all(Array.from({ length: 5 }, () => store.check(batched)));
      const apart: LimitOutcome[] = [];
      for (let i = 0; i < 5; i++) apart.push(await store.check(single));
      assert.deepEqual(together.map((o) => [o.admitted, o.failed]), apart.map((o) => [o.admitted, o.failed]));
      assert.deepEqual(together.map((o) => o.admitted), [true, false, false, false, false], 'GCRA: a burst of 4, 3 used before');
      assert.equal(together[4]!.failed, 1, 'GCRA refused');
      for (const [b, s] of batched.map((c, i) => [c, single[i]!] as const)) {
        assert.equal(await redis.type(b.key), await redis.type(s.key));
      }
      // On Redis Cluster the GCRA counter is in another slot: what the key's slot admitted beyond it is
      // refunded asynchronously (one by one and batched alike); wait for it, bounded.
      const settled = async (): Promise<boolean> => (await redis.get(batched[2]!.key)) === '4' && (await redis.get(single[2]!.key)) === '4'
        && (await redis.llen(batched[0]!.key)) === (await redis.llen(single[0]!.key));
      for (let i = 0; i < 100 && !(await settled()); i++) await sleep(10);
      assert.equal(await settled(), true, 'same log length and quota used');
      if (name === 'single Redis') {
        assert.equal(await redis.llen(batched[0]!.key), 3, 'the one admission dropped one stale entry and added its own');
      }
    });

    it('a large burst on one connection is split into calls of at most 128, still in arrival order', async () => {
      const checks = [rateCheck(limitKeys.apiRate(id('split')), 200, 60_000)];
      const outcomes = await Promise.all(Array.from({ length: 300 }, () => store.check(checks)));
      assert.equal(outcomes.filter((o) => o.admitted).length, 200);
      assert.ok(outcomes.slice(0, 200).every((o) => o.admitted), 'the first 200 to arrive are the admitted ones');
      assert.equal(await redis.llen(checks[0]!.key), 200);
    });

    it('a quota refusal consumes no rate capacity', async () => {
      const keyId = id('quota-first');
      const checks = [rateCheck(keyLayout.rateCounter('', keyId), 10, 60_000), quotaCheck(keyLayout.quotaCounter('', keyId), 1, 3600)];
      assert.equal((await store.check(checks)).admitted, true);
      const refused = await store.check(checks);
      assert.equal(refused.failed, 1);
      assert.equal(await redis.llen(checks[0]!.key), 1);
    });

    it('GCRA (capacities above the log bound) admits the burst, then one per emission interval', async () => {
      const check = rateCheck(limitKeys.apiRate(id('gcra')), 5, 60_000, 'G');
      for (let i = 0; i < 5; i++) assert.equal((await store.check([check])).admitted, true, `request ${i}`);
      const refused = await store.check([check]);
      assert.equal(refused.admitted, false);
      assert.ok(refused.waitUs(0) > 0 && refused.waitUs(0) <= 12_000_000);
      assert.equal(await redis.type(check.key), 'string');
    });

    it('fixed window (enable_fixed_window_rate_limiter) counts per epoch-aligned window', async () => {
      const check = rateCheck(limitKeys.apiRate(id('fixed')), 3, 3_600_000, 'F');
      const results = [];
      for (let i = 0; i < 4; i++) results.push((await store.check([check])).admitted);
      assert.deepEqual(results, [true, true, true, false]);
    });

    it('a full log uses bounded memory (documented: about 10 bytes per admission)', async () => {
      const check = rateCheck(limitKeys.apiRate(id('memory')), 1000, 60_000);
      for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 100 }, () => store.check([check])));
      assert.equal(await redis.llen(check.key), 1000);
      const bytes = Number(await redis.call('MEMORY', 'USAGE', check.key));
      assert.ok(bytes < 16 * 1000, `${bytes} bytes for 1000 entries`);
    });

    it('shows the remaining quota of a session (root and per-API) and when its period renews', async () => {
      const keyId = id('admin');
      const session = {
        quota_max: 10, quota_renewal_rate: 3600, quota_renews: 1,
        access_rights: { 'api-q': { api_id: 'api-q', limit: { rate: 0, per: 0, quota_max: 4, quota_renewal_rate: 60 }, allowance_scope: 'api-q' } },
      };
      await store.check([quotaCheck(keyLayout.quotaCounter('', keyId), 10, 3600)]);
      await store.check([quotaCheck(keyLayout.quotaCounter('', keyId), 10, 3600)]);
      await store.check([quotaCheck(keyLayout.quotaCounter('api-q', keyId), 4, 60)]);
      const now = Date.now();
      const shown = await withQuotaRemaining(redis, keyId, session, now);
      assert.equal(shown.quota_remaining, 8);
      assert.ok(shown.quota_renews! > now / 1000 + 3500);
      assert.equal(shown.access_rights!['api-q']!.limit!.quota_remaining, 3);
      assert.equal(session.quota_renews, 1, 'the input is not modified');
      await Promise.all([keyLayout.quotaCounter('', keyId), keyLayout.quotaCounter('api-q', keyId)].map((k) => redis.del(k)));
      const after = await withQuotaRemaining(redis, keyId, session, now);
      assert.equal(after.quota_remaining, 10);
      assert.equal(after.access_rights!['api-q']!.limit!.quota_remaining, 4);
    });
  });
}

contract('single Redis', async () => {
  const server = await startTestRedis();
  const clients = Array.from({ length: 4 }, () => new Redis({ port: server.port, enableAutoPipelining: true }));
  return {
    clients,
    async stop() {
      clients.forEach((c) => c.disconnect());
      await server.stop();
    },
  };
});

contract('three-master Redis Cluster', async () => {
  const cluster = await startTestRedisCluster();
  const nodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
  const clients = Array.from({ length: 4 }, () => new Cluster(nodes, { enableAutoPipelining: true }));
  await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => {
    c.once('ready', resolve);
    c.once('error', reject);
  })));
  const slots = await Promise.all([keyLayout.rateCounter('', 'h'), limitKeys.apiRate('a')].map((k) => clients[0]!.cluster('KEYSLOT', k)));
  assert.notEqual(slots[0], slots[1], 'the combined test must span two slots');
  return {
    clients,
    async stop() {
      clients.forEach((c) => c.disconnect());
      await cluster.stop();
    },
  };
});
