-- UserPresence.disconnected: unregister; the user's last live connection gone → offline due after the delay.
-- KEYS: user zset, app zset, index, online flag, due zset · ARGV: client, index member, due member, delayMs
-- Returns the due time (ms, Redis clock) when an offline was scheduled, else 0.
local had = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
if had == 1 and redis.call('ZCOUNT', KEYS[1], string.format('(%d', now), '+inf') == 0 and redis.call('EXISTS', KEYS[4]) == 1 then
  local due = now + tonumber(ARGV[4])
  redis.call('ZADD', KEYS[5], 'NX', due, ARGV[3])
  return due
end
return 0
