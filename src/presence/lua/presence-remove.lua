-- PresenceManager.remove. KEYS: hash, zset, index, lingering · ARGV: client, index member
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then
  local f = lfield(v)
  if f and redis.call('HGET', KEYS[4], f) == ARGV[2] then redis.call('HDEL', KEYS[4], f) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
