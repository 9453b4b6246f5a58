-- UserPresence.online: live connections of each user zset in KEYS, in order.
local live = string.format('(%d', now)
local out = {}
for i, k in ipairs(KEYS) do out[i] = redis.call('ZCOUNT', k, live, '+inf') end
return out
