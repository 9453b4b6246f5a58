-- PresenceManager.linger: the entry stays for ARGV[3] ms more (no heartbeat will renew it, its
-- connection is gone), and is findable by its user and device for `enter`.
-- KEYS: hash, zset, index, lingering · ARGV: client, index member, ms
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local exp = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], exp, ARGV[1])
redis.call('ZADD', KEYS[3], exp, ARGV[2])
local f = lfield(v)
if f then redis.call('HSET', KEYS[4], f, ARGV[2]) end
return 1
