--[[
  Gives back what limits-n.lua consumed for a request that was refused afterwards by a check in another
  Redis Cluster slot (rate-limits-and-quotas.md §10.2). Refunds can only under-admit: an entry that
  already left the window is not put back, a counter is never taken below zero.

  KEYS[i]          counter of check i, exactly as passed to limits-n.lua
  ARGV[3i-2..3i]   kind, capacity, window of check i, exactly as passed to limits-n.lua
  ARGV[3n+1]       the `now` (microseconds) that limits-n.lua returned for the admission

  Returns the number of checks refunded.
]]
local n = #KEYS
local ts = ARGV[3 * n + 1]
local now = tonumber(ts)
local refunded = 0
for i = 1, n do
  local key, kind = KEYS[i], ARGV[3 * i - 2]
  local cap, span = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  if kind == "L" then
    refunded = refunded + redis.call("LREM", key, -1, ts)
  elseif kind == "G" then
    local tat = tonumber(redis.call("GET", key) or "0")
    local step = math.ceil(span / cap)
    if tat - step >= now then
      redis.call("SET", key, string.format("%d", tat - step), "KEEPTTL")
      refunded = refunded + 1
    end
  elseif kind == "F" then
    local v = redis.call("HMGET", key, "w", "c")
    if tonumber(v[1]) == math.floor(now / span) and (tonumber(v[2]) or 0) > 0 then
      redis.call("HINCRBY", key, "c", -1)
      refunded = refunded + 1
    end
  else -- "Q"
    if tonumber(redis.call("GET", key) or "0") > 0 then
      redis.call("DECR", key)
      refunded = refunded + 1
    end
  end
end
return refunded
