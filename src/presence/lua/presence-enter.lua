-- PresenceManager.enter: takes over a lingering entry of the same user and device that has not
-- lapsed (removing it in this same step, so expiry can no longer claim it), then adds the new entry.
-- KEYS: hash, zset, index, lingering · ARGV: client, entry JSON, index member, ttlMs, lingering field
-- Returns the replaced client id, or '' when there was none.
local took = ''
local old = redis.call('HGET', KEYS[4], ARGV[5])
if old then
  redis.call('HDEL', KEYS[4], ARGV[5])
  local ok, m = pcall(cjson.decode, old)
  if ok and type(m) == 'table' and #m == 3 then
    local score = redis.call('ZSCORE', KEYS[2], m[3])
    if score and tonumber(score) > now then
      redis.call('HDEL', KEYS[1], m[3])
      redis.call('ZREM', KEYS[2], m[3])
      redis.call('ZREM', KEYS[3], old)
      took = m[3]
    end
  end
end
local exp = now + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], exp, ARGV[1])
redis.call('ZADD', KEYS[3], exp, ARGV[3])
return took
