-- PresenceManager.add / touch: upsert + new expiry; an entry added again is live, not lingering.
-- KEYS: hash, zset, index, lingering · ARGV: client, entry JSON, index member, ttlMs
local exp = now + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], exp, ARGV[1])
redis.call('ZADD', KEYS[3], exp, ARGV[3])
local f = lfield(ARGV[2])
if f and redis.call('HGET', KEYS[4], f) == ARGV[3] then redis.call('HDEL', KEYS[4], f) end
return exp
