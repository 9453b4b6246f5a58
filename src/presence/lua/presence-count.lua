-- PresenceManager.count. KEYS: zset, lingering · entries of live connections: unexpired entries
-- minus the lingering ones (one lingering field per closed connection still listed).
local n = redis.call('ZCOUNT', KEYS[1], string.format('(%d', now), '+inf') - redis.call('HLEN', KEYS[2])
if n < 0 then return 0 end
return n
