--[[
  Applies one batch's aggregate increments for one hour bucket, exactly once per (batch, hour): a batch
  delivered again (consumer restart, gateway retry after a lost reply) finds the marker and changes nothing.

  KEYS[1]  marker of this batch in this hour (SET NX with a TTL)
  KEYS[2]  set of org ids with aggregates in this hour
  KEYS[3..] pairs: index set of the dimension (org + dimension), counter hash of the value
  ARGV[1]  marker TTL, seconds
  ARGV[2]  unix seconds at which every touched key expires (kept if a key already lives longer)
  ARGV[3]  number of org ids that follow
  ARGV[...] the org ids
  then, per KEYS pair, in order:
    value (index member), nIncr, nMax, nMin, nSet, then nIncr + nMax + nMin + nSet field/value pairs:
    HINCRBY for incr, keep the larger for max, keep the smaller (or set when absent) for min, HSET for set.

  Returns: 1 when applied, 0 when this batch was already applied to this hour.
  Every key carries the hour's hash tag, so the script runs on Redis Cluster too.
]]
if not redis.call("SET", KEYS[1], "1", "NX", "EX", ARGV[1]) then
  return 0
end
local expireAt = tonumber(ARGV[2])
local now = tonumber(redis.call("TIME")[1])
local function extend(key)
  local ttl = redis.call("TTL", key)
  if ttl < 0 or now + ttl < expireAt then
    redis.call("EXPIREAT", key, expireAt)
  end
end

local nOrgs = tonumber(ARGV[3])
for i = 4, 3 + nOrgs do
  redis.call("SADD", KEYS[2], ARGV[i])
end
extend(KEYS[2])

local a = 4 + nOrgs
for k = 3, #KEYS, 2 do
  local index, hash = KEYS[k], KEYS[k + 1]
  redis.call("SADD", index, ARGV[a])
  local nIncr, nMax, nMin, nSet = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  a = a + 5
  for _ = 1, nIncr do
    redis.call("HINCRBY", hash, ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  for _ = 1, nMax do
    local cur = tonumber(redis.call("HGET", hash, ARGV[a]))
    if cur == nil or tonumber(ARGV[a + 1]) > cur then
      redis.call("HSET", hash, ARGV[a], ARGV[a + 1])
    end
    a = a + 2
  end
  for _ = 1, nMin do
    local cur = tonumber(redis.call("HGET", hash, ARGV[a]))
    if cur == nil or tonumber(ARGV[a + 1]) < cur then
      redis.call("HSET", hash, ARGV[a], ARGV[a + 1])
    end
    a = a + 2
  end
  for _ = 1, nSet do
    redis.call("HSET", hash, ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  extend(index)
  extend(hash)
end
return 1
