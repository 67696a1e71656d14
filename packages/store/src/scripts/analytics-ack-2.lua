--[[
  Acknowledges consumed batches: XACK in the consumer group, XDEL from the stream and takes their records
  off the queue counter. An entry acknowledged twice is counted once.

  KEYS[1]  stream of batches
  KEYS[2]  counter of records in the stream
  ARGV[1]  consumer group
  ARGV[2..] pairs: stream entry id, record count

  Returns: the number of entries acknowledged now.
  Both keys carry the same hash tag, so the script runs on Redis Cluster too.
]]
local acked = 0
local records = 0
for i = 2, #ARGV, 2 do
  if redis.call("XACK", KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call("XDEL", KEYS[1], ARGV[i])
    acked = acked + 1
    records = records + tonumber(ARGV[i + 1])
  end
end
if records > 0 then
  if redis.call("DECRBY", KEYS[2], records) < 0 then
    redis.call("SET", KEYS[2], 0)
  end
end
return acked
