--[[
  Appends record batches to the analytics stream unless that would take the queue past its bound.
  Batches are taken in order until the next one does not fit; the caller keeps the rest (and, once its
  own bound is reached, drops and counts them), so nothing is trimmed away unseen.

  KEYS[1]  stream of batches (fields: id = batch id, n = record count, b = msgpack batch)
  KEYS[2]  counter of records in the stream
  ARGV[1]  maximum records the stream may hold
  ARGV[2..] triples: batch id, record count, msgpack bytes

  Returns: the number of batches appended (0..#triples).
  Both keys carry the same hash tag, so the script runs on Redis Cluster too.
]]
local max = tonumber(ARGV[1])
local queued = tonumber(redis.call("GET", KEYS[2]) or "0")
local appended = 0
for i = 2, #ARGV, 3 do
  local n = tonumber(ARGV[i + 1])
  if queued + n > max then
    break
  end
  redis.call("XADD", KEYS[1], "*", "id", ARGV[i], "n", ARGV[i + 1], "b", ARGV[i + 2])
  queued = queued + n
  appended = appended + 1
end
if appended > 0 then
  redis.call("SET", KEYS[2], queued)
end
return appended
