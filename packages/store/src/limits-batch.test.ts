import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedisServer } from './test-redis-server.js';

/**
 * limits-n.lua decides a batch of identical requests at once; scripts/reference/limits-one-by-one.lua is
 * the same algorithm one request after the other (what a batch must be equivalent to, see limits-n.lua).
 * Both run on random scenarios, each on its own copy of the counters: every answer and every counter must
 * be the same. Time is simulated: `now` is passed in instead of Redis TIME, and the TTLs the scripts set
 * and read are kept in that simulated time (the real ones an hour longer, so nothing expires by itself;
 * the test expires what the simulated time says has expired before each call).
 */
const TIME = 'local t = redis.call("TIME")\nlocal now = tonumber(t[1]) * 1000000 + tonumber(t[2])';

function withNowArgument(lua: string): string {
  assert.ok(lua.includes(TIME), 'the script reads TIME as expected');
  return lua.replace(TIME, 'local now = tonumber(ARGV[#ARGV])');
}

const read = (name: string): string => withNowArgument(readFileSync(new URL(`../src/scripts/${name}`, import.meta.url), 'utf8'));

/** Simulated expiry times (ms of the simulated clock) by key. */
const EXPIRY = 'limits-batch-test:expiry';

/** `redis.call` with TTLs in simulated time: what PEXPIRE / SET PX / PTTL do, relative to ARGV's `now`. */
const SIMULATED_TTLS = `local real = redis
local nowMs = tonumber(ARGV[#ARGV]) / 1000
local redis = {call = function(cmd, key, ...)
  local args = {...}
  if cmd == "PEXPIRE" then
    real.call("HSET", "${EXPIRY}", key, string.format("%.3f", nowMs + tonumber(args[1])))
    return real.call("PEXPIRE", key, tonumber(args[1]) + 3600000)
  elseif cmd == "SET" and args[2] == "PX" then
    real.call("HSET", "${EXPIRY}", key, string.format("%.3f", nowMs + tonumber(args[3])))
    return real.call("SET", key, args[1], "PX", tonumber(args[3]) + 3600000)
  elseif cmd == "PTTL" then
    local ttl = real.call("PTTL", key)
    if ttl < 0 then return ttl end
    return math.floor(tonumber(real.call("HGET", "${EXPIRY}", key)) - nowMs)
  end
  return real.call(cmd, key, ...)
end}`;

/** Both scripts as functions of (KEYS, ARGV), run on the two halves of KEYS with the same ARGV. */
const BOTH = `${SIMULATED_TTLS}
local function batch(KEYS, ARGV)
${read('limits-n.lua')}
end
local function oneByOne(KEYS, ARGV)
${read('reference/limits-one-by-one.lua')}
end
local half = #KEYS / 2
local first, second = {}, {}
for i = 1, half do first[i], second[i] = KEYS[i], KEYS[half + i] end
return {batch(first, ARGV), oneByOne(second, ARGV)}`;

/** Deletes the keys whose simulated TTL ran out by ARGV[1] (µs), as Redis would (expired once now > expiry). */
const EXPIRE = `local nowMs = tonumber(ARGV[1]) / 1000
for _, key in ipairs(KEYS) do
  local at = redis.call("HGET", "${EXPIRY}", key)
  if at and redis.call("PTTL", key) >= 0 and nowMs > tonumber(at) then redis.call("DEL", key) end
end
return 0`;

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
  let bothSha = '';
  let expireSha = '';
  before(async () => {
    server = await startTestRedis();
    redis = new Redis({ port: server.port });
    bothSha = String(await redis.script('LOAD', BOTH));
    expireSha = String(await redis.script('LOAD', EXPIRE));
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  /** Type, value and simulated expiry of each key. */
  const DUMP = `local out = {}
for i, key in ipairs(KEYS) do
  local t = redis.call("TYPE", key).ok
  local v = ""
  if t == "list" then v = table.concat(redis.call("LRANGE", key, 0, -1), ",")
  elseif t == "string" then v = redis.call("GET", key)
  elseif t == "hash" then v = table.concat(redis.call("HGETALL", key), ",") end
  out[i] = t .. "|" .. v .. "|" .. (redis.call("PTTL", key) >= 0 and ("expires " .. redis.call("HGET", "${EXPIRY}", key)) or "no ttl")
end
return out`;
  const counters = async (keys: readonly string[]): Promise<string[]> => (await redis.eval(DUMP, keys.length, ...keys)) as string[];

  for (const [label, seed, caps, timeMayGoBack] of [['small capacities', 7, [1, 12], false], ['large batches', 8, [5, 150], false], ['time going back', 9, [1, 60], true]] as const) {
    it(`random scenarios: ${label}`, async () => {
      const rand = random(seed);
      let calls = 0;
      let admitted = 0;
      for (let scenario = 0; scenario < 120; scenario++) {
        const checks: Check[] = Array.from({ length: rand(1, 3) }, (_, i) => {
          const kind = (['L', 'G', 'F', 'Q'] as const)[rand(0, 3)]!;
          // quota periods (ms) and rate windows (µs) that run out within a scenario now and then
          const span = kind === 'Q' ? (rand(0, 4) === 0 ? 0 : rand(1_000, 20_000)) : rand(200_000, 6_000_000);
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
          await redis.evalsha(expireSha, 2 * checks.length, ...batchKeys, ...singleKeys, now);
          const [batch, single] = (await redis.evalsha(bothSha, 2 * checks.length, ...batchKeys, ...singleKeys, ...argv)) as [number[], number[]];
          const where = `${label} scenario ${scenario}, ${JSON.stringify({ checks, count, now })}`;
          assert.deepEqual(batch, single, where);
          const after = await counters([...batchKeys, ...singleKeys]);
          assert.deepEqual(after.slice(0, checks.length), after.slice(checks.length), `${where}: counters`);
          calls++;
          admitted += batch[0]!;
        }
      }
      assert.ok(calls > 1000 && admitted > 1000, `${calls} calls, ${admitted} admissions`);
    });
  }
});
