--[[
  Gives back what limits-n.lua consumed for requests that were refused afterwards by a check in another
  Redis Cluster slot (rate-limits-and-quotas.md §10.2). Refunds can only under-admit: an entry that
  already left the window is not put back, a counter is never taken below zero.

  KEYS[i]          counter of check i, exactly as passed to limits-n.lua
  ARGV[3i-2..3i]   kind, capacity, window of check i, exactly as passed to limits-n.lua
  ARGV[3n+1]       the `now` (microseconds) that limits-n.lua returned for the admissions
  ARGV[3n+2]       how many of that call's admissions to give back (≥ 1)

  Returns the number of admissions given back, summed over the checks.
]]
local n = #KEYS
local ts = ARGV[3 * n + 1]
local now = tonumber(ts)
local count = tonumber(ARGV[3 * n + 2] or "1")
local refunded = 0
for i = 1, n do
  local key, kind = KEYS[i], ARGV[3 * i - 2]
  local cap, span = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  if kind == "L" then
    refunded = refunded + redis.call("LREM", key, -count, ts)
  elseif kind == "G" then
    local tat = tonumber(redis.call("GET", key) or "0")
    local step = math.ceil(span / cap)
    local back = math.min(count, math.floor((tat - now) / step))
    if back > 0 then
      redis.call("SET", key, string.format("%d", tat - back * step), "KEEPTTL")
      refunded = refunded + back
    end
  elseif kind == "F" then
    local v = redis.call("HMGET", key, "w", "c")
    local back = math.min(count, tonumber(v[2]) or 0)
    if tonumber(v[1]) == math.floor(now / span) and back > 0 then
      redis.call("HINCRBY", key, "c", -back)
      refunded = refunded + back
    end
  else -- "Q"
    local back = math.min(count, tonumber(redis.call("GET", key) or "0"))
    if back > 0 then
      redis.call("DECRBY", key, back)
      refunded = refunded + back
    end
  end
end
return refunded
