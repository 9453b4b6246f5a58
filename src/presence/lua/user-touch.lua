-- UserPresence.touch (heartbeat) for one live connection: renew its expiry. Also an upsert, so a
-- Redis that restarted empty is refilled within one heartbeat (the online flag too, without an event).
-- KEYS: user zset, app zset, index, online flag · ARGV: client, index member, ttlMs
local exp = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], exp, ARGV[1])
redis.call('ZADD', KEYS[2], exp, ARGV[1])
redis.call('ZADD', KEYS[3], exp, ARGV[2])
redis.call('SET', KEYS[4], '1', 'NX')
return exp
