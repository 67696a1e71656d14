--[[
  Checks every limit of a request and, only when all of them admit it, consumes each: one atomic call,
  one round trip (rate-limits-and-quotas.md §10). Time comes from Redis (TIME), never from a gateway.
  Checks are evaluated in KEYS order and evaluation stops at the first refusal: nothing is consumed then,
  so refused requests cost no capacity and no quota (§10.6).
  A call may carry `count` identical requests (same counters, arrived together at one gateway worker):
  they are decided one after the other, in order, exactly as `count` separate calls at the same instant
  would be; the first refusal ends the batch (every later request would be refused too). The outcome is
  worked out for the whole batch at once: each check reads its counter once, says how many of the
  `count` requests it would admit at this instant, and the admitted ones are consumed together (one
  RPUSH of all their entries, one INCRBY, ...), so a call costs a few commands per check whatever its
  size, with exactly the result and the counters the one-by-one evaluation would leave.

  KEYS[i]          counter of check i; the caller passes 1..n keys that share one hash tag (one slot)
  ARGV[3i-2]       kind of check i:
                     "L" ring-buffer sliding log of admissions (a list of admission times, oldest first)
                     "G" GCRA (one string: the theoretical arrival time), for capacities above the log bound
                     "F" fixed window aligned to the Unix epoch (hash: w = window index, c = count)
                     "Q" quota (string: requests used in the current period)
  ARGV[3i-1]       L/G/F: capacity (admissions per window, integer ≥ 1); Q: quota_max (≥ 1)
  ARGV[3i]         L/G/F: window in microseconds; Q: renewal period in milliseconds (≤ 0: never renews)
  ARGV[3n+1]       count: requests in this call (≥ 1)

  Returns {admitted, failed, now, A_1 ... A_n, R_1 ... R_n}, each A_i / R_i a pair (remaining, wait)
    admitted   how many of the `count` requests were admitted (each consumed every check)
    failed     index of the check that refused request `admitted + 1` (0 when all were admitted)
    now        Redis time in microseconds (every admission of the call is stamped with it)
    A_i        check i after the last admission ({-1, -1} when none was admitted)
    R_i        check i as evaluated for the refused request ({-1, -1} when none was refused, or for checks
               after the refusing one, which were not evaluated)
    remaining  rates: admissions still free in the window; Q: quota_max - used (floor 0)
    wait       rates: microseconds until the next admission is possible (0 when remaining > 0);
               Q: microseconds until the period renews (-1 when the counter has no TTL)

  Memory: L holds at most capacity integers (one listpack entry each); G one integer; F a two-field hash;
  Q one integer. L lives two windows after its last admission at most, G and F one window, Q one period.
  `remaining` of L counts entries older than a window that have not left yet (each admission drops at
  most one), so it may under-report; the admission decision itself is exact.
]]
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local count = tonumber(ARGV[3 * n + 1] or "1")
local stamp = string.format("%d", now)
local out = {0, 0, now}
for j = 4, 3 + 4 * n do out[j] = -1 end
local A, R = 3, 3 + 2 * n

-- A log's length, trimmed to its capacity first when the capacity shrank (policy change): the newest
-- entries are kept, once.
local function log_length(key, cap)
  local len = redis.call("LLEN", key)
  if len > cap then
    redis.call("LTRIM", key, len - cap, -1)
    len = cap
  end
  return len
end

-- Decides check i for one more request on the counter as it is now: ok, remaining, wait (no change,
-- except trimming a log whose capacity shrank).
local function evaluate(key, kind, cap, span)
  if kind == "L" then
    local len = log_length(key, cap)
    -- one look at the oldest entry: it leaves when it is a window old (the only one that may have to
    -- when the log is full; when it is not, dropping one per admission keeps the log near its live size)
    local head = len > 0 and tonumber(redis.call("LINDEX", key, 0)) or nil
    local isStale = head ~= nil and head <= now - span
    if len < cap or isStale then return true, cap - len + (isStale and 1 or 0), 0 end
    return false, 0, head + span - now
  elseif kind == "G" then
    local step = math.ceil(span / cap)
    local tat = tonumber(redis.call("GET", key) or "0")
    if tat < now then tat = now end
    local ahead = tat - now - (span - step)
    if ahead > 0 then return false, 0, ahead end
    return true, math.floor(-ahead / step) + 1, 0
  elseif kind == "F" then
    local w = math.floor(now / span)
    local v = redis.call("HMGET", key, "w", "c")
    local c = 0
    if tonumber(v[1]) == w then c = tonumber(v[2]) or 0 end
    if c >= cap then return false, 0, (w + 1) * span - now end
    return true, cap - c, 0
  end
  local used = tonumber(redis.call("GET", key) or "0")
  if used >= cap then
    local ttl = redis.call("PTTL", key)
    return false, 0, (ttl >= 0) and ttl * 1000 or -1
  end
  return true, cap - used, 0
end

-- state[i]: what check i read, for consuming (L: {length, stale entries at the head}; G: TAT; F: count;
-- Q: used)
local state = {}

-- How many of `want` requests check i admits at this instant, one after the other: a log admits while
-- it has room or a stale oldest entry to drop (each admission drops at most one, and the entries it adds
-- are not stale); GCRA while the TAT, one emission interval later per admission, stays within the burst;
-- a fixed window or a quota up to the capacity.
local function capacity(i, key, kind, cap, span, want)
  if kind == "L" then
    local len = log_length(key, cap)
    -- the stale entries at the head, counted up to `want` (no more can leave in this call)
    local stale = 0
    if len > 0 then
      local oldest = now - span
      for _, v in ipairs(redis.call("LRANGE", key, 0, math.min(want, len) - 1)) do
        if tonumber(v) > oldest then break end
        stale = stale + 1
      end
    end
    state[i] = {len, stale}
    return math.min(want, stale + cap - len)
  elseif kind == "G" then
    local step = math.ceil(span / cap)
    local tat = tonumber(redis.call("GET", key) or "0")
    if tat < now then tat = now end
    state[i] = tat
    local room = now + span - step - tat
    if room < 0 then return 0 end
    return math.min(want, math.floor(room / step) + 1)
  elseif kind == "F" then
    local w = math.floor(now / span)
    local v = redis.call("HMGET", key, "w", "c")
    local c = 0
    if tonumber(v[1]) == w then c = tonumber(v[2]) or 0 end
    state[i] = c
    return math.max(0, math.min(want, cap - c))
  end
  local used = tonumber(redis.call("GET", key) or "0")
  state[i] = used
  return math.max(0, math.min(want, cap - used))
end

-- Consumes check i for `k` admitted requests: remaining, wait after the last of them.
local function consume(i, key, kind, cap, span, k)
  if kind == "L" then
    local dropped = math.min(k, state[i][2])
    if dropped > 0 then redis.call("LTRIM", key, dropped, -1) end
    local entries = {}
    for j = 1, k do entries[j] = stamp end
    local len = redis.call("RPUSH", key, unpack(entries))
    if len < cap then return cap - len, 0 end
    return 0, tonumber(redis.call("LINDEX", key, 0)) + span - now
  elseif kind == "G" then
    local step = math.ceil(span / cap)
    local tat = state[i] + k * step
    redis.call("SET", key, string.format("%d", tat), "PX", math.ceil((tat - now) / 1000) + 1)
    local ahead = tat - now - (span - step)
    if ahead > 0 then return 0, ahead end
    return math.floor(-ahead / step) + 1, 0
  elseif kind == "F" then
    local w = math.floor(now / span)
    local c = state[i] + k
    redis.call("HSET", key, "w", string.format("%d", w), "c", c)
    redis.call("PEXPIRE", key, math.ceil(((w + 1) * span - now) / 1000))
    if c < cap then return cap - c, 0 end
    return 0, (w + 1) * span - now
  end
  local used = redis.call("INCRBY", key, k)
  local ttl = redis.call("PTTL", key)
  if ttl < 0 and span > 0 then
    ttl = math.ceil(span)
    redis.call("PEXPIRE", key, string.format("%d", ttl))
  end
  local remaining = cap - used
  if remaining < 0 then remaining = 0 end
  return remaining, (ttl >= 0) and ttl * 1000 or -1
end

local kinds, caps, spans = {}, {}, {}
for i = 1, n do
  kinds[i], caps[i], spans[i] = ARGV[3 * i - 2], tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
end

-- The first request evaluates the checks in order and stops at a refusal, so a check after one that
-- admits nobody is not read (as one-by-one evaluation would not read it).
local admitted, failed = count, 0
for i = 1, n do
  local c = capacity(i, KEYS[i], kinds[i], caps[i], spans[i], count)
  if c < admitted then admitted, failed = c, i end
  if c == 0 then break end
end

if admitted > 0 then
  for i = 1, n do
    out[A + 2 * i - 1], out[A + 2 * i] = consume(i, KEYS[i], kinds[i], caps[i], spans[i], admitted)
  end
end
out[1] = admitted

-- request `admitted + 1` (when there is one) passes the checks before the first that has no room left
-- and is refused there; the checks after it are not evaluated
if admitted < count then
  out[2] = failed
  for i = 1, failed do
    local _, remaining, wait = evaluate(KEYS[i], kinds[i], caps[i], spans[i])
    out[R + 2 * i - 1], out[R + 2 * i] = remaining, wait
  end
end

-- a log must outlive its newest entry by a window: TTL of two windows, renewed once it is below one
-- (a read per call, a write at most once per window)
if admitted > 0 then
  for i = 1, n do
    if kinds[i] == "L" then
      local ttl = math.ceil(spans[i] / 1000)
      if redis.call("PTTL", KEYS[i]) < ttl then redis.call("PEXPIRE", KEYS[i], 2 * ttl) end
    end
  end
end
return out
