--[[
  Checks every limit of one request and, only when all of them admit it, consumes each: one atomic call,
  one round trip (rate-limits-and-quotas.md §10). Time comes from Redis (TIME), never from a gateway.
  Checks are evaluated in KEYS order and evaluation stops at the first refusal: nothing is consumed then,
  so refused requests cost no capacity and no quota (§10.6).

  KEYS[i]          counter of check i; the caller passes 1..n keys that share one hash tag (one slot)
  ARGV[3i-2]       kind of check i:
                     "L" ring-buffer sliding log of admissions (a list of admission times, oldest first)
                     "G" GCRA (one string: the theoretical arrival time), for capacities above the log bound
                     "F" fixed window aligned to the Unix epoch (hash: w = window index, c = count)
                     "Q" quota (string: requests used in the current period)
  ARGV[3i-1]       L/G/F: capacity (admissions per window, integer ≥ 1); Q: quota_max (≥ 1)
  ARGV[3i]         L/G/F: window in microseconds; Q: renewal period in milliseconds (≤ 0: never renews)

  Returns {admitted, failed, now, remaining_1, wait_1, ..., remaining_n, wait_n}
    admitted   1 when every check admitted the request (and all were consumed), else 0
    failed     index of the refusing check (0 when admitted)
    now        Redis time in microseconds
    remaining  rates: admissions still free in the window (after this one when admitted);
               Q: quota_max - used (floor 0); -1 for checks after the refusing one (not evaluated)
    wait       rates: microseconds until the next admission is possible (0 when remaining > 0);
               Q: microseconds until the period renews (-1 when the counter has no TTL)

  Memory: L holds at most capacity integers (one listpack entry each); G one integer; F a two-field hash;
  Q one integer. Every key carries a TTL of one window (L, G, F) or one renewal period (Q).
]]
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local out = {1, 0, now}
-- state[i]: what consuming check i needs (L: 1 when the oldest entry must go; F: current count)
local state = {}

local function fmt(x)
  return string.format("%d", x)
end

for i = 1, n do
  local key, kind = KEYS[i], ARGV[3 * i - 2]
  local cap, span = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local ok, remaining, wait = true, 0, 0
  if kind == "L" then
    local len = redis.call("LLEN", key)
    if len > cap then
      -- the capacity shrank (policy change): keep the newest entries, once
      redis.call("LTRIM", key, len - cap, -1)
      len = cap
    end
    if len < cap then
      state[i], remaining = 0, cap - len
    else
      local oldest = tonumber(redis.call("LINDEX", key, 0))
      if oldest <= now - span then
        state[i], remaining = 1, 1
      else
        ok, wait = false, oldest + span - now
      end
    end
  elseif kind == "G" then
    local step = math.ceil(span / cap)
    local tat = tonumber(redis.call("GET", key) or "0")
    if tat < now then tat = now end
    local ahead = tat - now - (span - step)
    if ahead > 0 then
      ok, wait = false, ahead
    else
      state[i], remaining = tat, math.floor(-ahead / step) + 1
    end
  elseif kind == "F" then
    local w = math.floor(now / span)
    local v = redis.call("HMGET", key, "w", "c")
    local c = 0
    if tonumber(v[1]) == w then c = tonumber(v[2]) or 0 end
    if c >= cap then
      ok, wait = false, (w + 1) * span - now
    else
      state[i], remaining = c, cap - c
    end
  else -- "Q"
    local used = tonumber(redis.call("GET", key) or "0")
    if used >= cap then
      local ttl = redis.call("PTTL", key)
      ok, wait = false, (ttl >= 0) and ttl * 1000 or -1
    else
      remaining = cap - used
    end
  end
  out[2 + 2 * i], out[3 + 2 * i] = remaining, wait
  if not ok then
    out[1], out[2] = 0, i
    for j = i + 1, n do
      out[2 + 2 * j], out[3 + 2 * j] = -1, -1
    end
    return out
  end
end

for i = 1, n do
  local key, kind = KEYS[i], ARGV[3 * i - 2]
  local cap, span = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local remaining, wait = 0, 0
  if kind == "L" then
    if state[i] == 1 then redis.call("LPOP", key) end
    -- drop a few more expired entries so `remaining` stays accurate (amortised O(1): each entry leaves once)
    for _ = 1, 4 do
      local head = redis.call("LINDEX", key, 0)
      if not head or tonumber(head) > now - span then break end
      redis.call("LPOP", key)
    end
    local len = redis.call("RPUSH", key, fmt(now))
    redis.call("PEXPIRE", key, math.ceil(span / 1000))
    remaining = cap - len
    if remaining <= 0 then
      remaining = 0
      wait = tonumber(redis.call("LINDEX", key, 0)) + span - now
    end
  elseif kind == "G" then
    local step = math.ceil(span / cap)
    local tat = state[i] + step
    redis.call("SET", key, fmt(tat), "PX", math.ceil((tat - now) / 1000) + 1)
    local ahead = tat - now - (span - step)
    if ahead > 0 then
      wait = ahead
    else
      remaining = math.floor(-ahead / step) + 1
    end
  elseif kind == "F" then
    local w = math.floor(now / span)
    redis.call("HSET", key, "w", fmt(w), "c", state[i] + 1)
    redis.call("PEXPIRE", key, math.ceil(((w + 1) * span - now) / 1000))
    remaining = cap - state[i] - 1
    if remaining <= 0 then remaining, wait = 0, (w + 1) * span - now end
  else -- "Q"
    local used = redis.call("INCR", key)
    local ttl = redis.call("PTTL", key)
    if ttl < 0 and span > 0 then
      ttl = math.ceil(span)
      redis.call("PEXPIRE", key, fmt(ttl))
    end
    remaining = cap - used
    if remaining < 0 then remaining = 0 end
    wait = (ttl >= 0) and ttl * 1000 or -1
  end
  out[2 + 2 * i], out[3 + 2 * i] = remaining, wait
end
return out
