import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedisServer } from './test-redis-server.js';

/**
 * limits-n.lua decides a batch of identical requests at once; scripts/reference/limits-one-by-one.lua is
 * the same algorithm one request after the other (what a batch must be equivalent to, see limits-n.lua).
 * Both run on random scenarios with `now` passed in instead of Redis TIME, each on its own copy of the
 * counters: every answer and every counter must be the same.
 */
const TIME = 'local t = redis.call("TIME")\nlocal now = tonumber(t[1]) * 1000000 + tonumber(t[2])';

function withNowArgument(lua: string): string {
  assert.ok(lua.includes(TIME), 'the script reads TIME as expected');
  return lua.replace(TIME, 'local now = tonumber(ARGV[#ARGV])');
}

const read = (name: string): string => withNowArgument(readFileSync(new URL(`../src/scripts/${name}`, import.meta.url), 'utf8'));

interface Check {
  readonly kind: 'L' | 'G' | 'F' | 'Q';
  cap: number;
  readonly span: number;
  readonly key: string;
}

/** A small deterministic generator (the same scenarios on every run). */
function random(seed: number): (min: number, max: number) => number {
  let state = seed;
  return (min, max) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return min + Math.floor((state / 2147483648) * (max - min + 1));
  };
}

describe('limits-n.lua decides a batch as one request after the other would', () => {
  let server: TestRedisServer;
  let redis: Redis;
  let batchSha = '';
  let oneByOneSha = '';
  before(async () => {
    server = await startTestRedis();
    redis = new Redis({ port: server.port });
    batchSha = String(await redis.script('LOAD', read('limits-n.lua')));
    oneByOneSha = String(await redis.script('LOAD', read('reference/limits-one-by-one.lua')));
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  /** Type, value and whether a TTL is set (TTLs run in real time, so only their presence is compared). */
  async function counter(key: string): Promise<unknown> {
    const type = await redis.type(key);
    const ttl = await redis.pttl(key);
    const value = type === 'list' ? await redis.lrange(key, 0, -1) : type === 'hash' ? await redis.hgetall(key) : type === 'string' ? await redis.get(key) : null;
    return { type, value, ttl: ttl >= 0 ? 'set' : ttl };
  }

  for (const [label, seed, caps, timeMayGoBack] of [['small capacities', 7, [1, 12], false], ['large batches', 8, [5, 150], false], ['time going back', 9, [1, 60], true]] as const) {
    it(`random scenarios: ${label}`, async () => {
      const rand = random(seed);
      let calls = 0;
      let admitted = 0;
      for (let scenario = 0; scenario < 120; scenario++) {
        const checks: Check[] = Array.from({ length: rand(1, 3) }, (_, i) => {
          const kind = (['L', 'G', 'F', 'Q'] as const)[rand(0, 3)]!;
          // rate windows of seconds and quota periods of a minute or more: no counter expires (in real
          // time) while a scenario runs
          const span = kind === 'Q' ? (rand(0, 4) === 0 ? 0 : rand(60_000, 600_000)) : rand(2_000_000, 6_000_000);
          return { kind, cap: rand(caps[0], caps[1]), span, key: `{${label}-${scenario}}:${i}` };
        });
        let now = 1_700_000_000_000_000 + rand(0, 1_000_000_000);
        for (let step = rand(3, 25); step > 0; step--) {
          if (rand(0, 9) > 2) now += rand(0, 1_500_000);
          if (timeMayGoBack && rand(0, 9) === 0) now -= rand(0, 2_000_000);
          // a policy change shrinking a log now and then (the log is trimmed once)
          if (rand(0, 9) === 0) for (const c of checks) if (c.kind === 'L') c.cap = Math.max(1, c.cap - rand(1, 5));
          const count = rand(0, 2) === 0 ? 1 : rand(1, 40);
          const argv: Array<string | number> = checks.flatMap((c) => [c.kind, c.cap, c.span]);
          argv.push(count, now);
          const batchKeys = checks.map((c) => `batch:${c.key}`);
          const singleKeys = checks.map((c) => `single:${c.key}`);
          const batch = (await redis.evalsha(batchSha, checks.length, ...batchKeys, ...argv)) as number[];
          const single = (await redis.evalsha(oneByOneSha, checks.length, ...singleKeys, ...argv)) as number[];
          const where = `${label} scenario ${scenario}, ${JSON.stringify({ checks, count, now })}`;
          // A quota's wait is its PTTL (real time): the two copies were written moments apart, so a quota's
          // positive waits may differ by up to a second; everything else must be equal.
          const isQuotaWait = (i: number): boolean => i >= 3 && (i - 3) % 2 === 1 && checks[Math.floor(((i - 3) % (2 * checks.length)) / 2)]!.kind === 'Q';
          const same = batch.length === single.length && batch.every((v, i) =>
            v === single[i] || (isQuotaWait(i) && v > 0 && single[i]! > 0 && Math.abs(v - single[i]!) <= 1_000_000));
          assert.ok(same, `${where}: ${JSON.stringify(batch)} vs one by one ${JSON.stringify(single)}`);
          for (let i = 0; i < checks.length; i++) assert.deepEqual(await counter(batchKeys[i]!), await counter(singleKeys[i]!), `${where}, check ${i}`);
          calls++;
          admitted += batch[0]!;
        }
      }
      assert.ok(calls > 1000 && admitted > 1000, `${calls} calls, ${admitted} admissions`);
    });
  }
});
