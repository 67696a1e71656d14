--[[
  Writes (or deletes) one configuration object, bumps the revision and publishes the change, atomically,
  so that every subscriber sees changes in revision order with no gap except those pub/sub itself drops.

  KEYS[1]  hash holding every object of this kind (field = id, value = JSON)
  KEYS[2]  revision counter (shared by all kinds)
  ARGV[1]  kind ("api", "key", "policy", "cert")
  ARGV[2]  id
  ARGV[3]  op: "put" or "delete"
  ARGV[4]  JSON of the object (op "put"; ignored for "delete")
  ARGV[5]  pub/sub channel

  Returns: the new revision; 0 when op is "delete" and the object did not exist (nothing published).
  Both keys carry the same hash tag, so the script runs on Redis Cluster too.
]]
if ARGV[3] == "delete" then
  if redis.call("HDEL", KEYS[1], ARGV[2]) == 0 then
    return 0
  end
else
  redis.call("HSET", KEYS[1], ARGV[2], ARGV[4])
end
local revision = redis.call("INCR", KEYS[2])
redis.call("PUBLISH", ARGV[5], cmsgpack.pack({revision = revision, kind = ARGV[1], id = ARGV[2], op = ARGV[3]}))
return revision
