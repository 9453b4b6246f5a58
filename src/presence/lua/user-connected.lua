-- UserPresence.connected: admit (or refuse, counting live connections only) and register a connection.
-- KEYS: user zset, app zset, index, online flag, due zset
-- ARGV: client, index member, ttlMs, max per user (0 = none), max per app (0 = none), due member
-- Returns {1, 'online'|''} when admitted ('online': this call took the user online), {0, 'user'|'app', count} when refused.
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  local live = string.format('(%d', now)
  local perUser = tonumber(ARGV[4])
  if perUser > 0 then
    local n = redis.call('ZCOUNT', KEYS[1], live, '+inf')
    if n >= perUser then return {0, 'user', n} end
  end
  local perApp = tonumber(ARGV[5])
  if perApp > 0 then
    local n = redis.call('ZCOUNT', KEYS[2], live, '+inf')
    if n >= perApp then return {0, 'app', n} end
  end
end
local exp = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], exp, ARGV[1])
redis.call('ZADD', KEYS[2], exp, ARGV[1])
redis.call('ZADD', KEYS[3], exp, ARGV[2])
-- Back within the delay: the pending offline is cancelled, and no online is due either.
redis.call('ZREM', KEYS[5], ARGV[6])
if redis.call('SET', KEYS[4], '1', 'NX') then return {1, 'online'} end
return {1, ''}
