--[[
  Writes (or deletes) one session and publishes the change, atomically, so that a reader that sees the
  message also sees the write.

  KEYS[1]  the session key, apikey-<storage id>
  ARGV[1]  op: "put" or "delete"
  ARGV[2]  session JSON (op "put"; ignored for "delete")
  ARGV[3]  TTL in seconds (op "put"); 0 = no expiry
  ARGV[4]  pub/sub channel for key changes
  ARGV[5]  the storage id (published, so readers need not parse key names)

  Returns: 1 when written or deleted; 0 when op is "delete" and the session did not exist (nothing published).
  One key only, so the script runs on Redis Cluster too.
]]
if ARGV[1] == "delete" then
  if redis.call("DEL", KEYS[1]) == 0 then
    return 0
  end
else
  local ttl = tonumber(ARGV[3])
  if ttl ~= nil and ttl > 0 then
    redis.call("SET", KEYS[1], ARGV[2], "EX", ttl)
  else
    redis.call("SET", KEYS[1], ARGV[2])
  end
end
redis.call("PUBLISH", ARGV[4], cmsgpack.pack({op = ARGV[1], id = ARGV[5]}))
return 1
