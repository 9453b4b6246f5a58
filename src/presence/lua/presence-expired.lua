-- PresenceManager.expired: claims lapsed entries. Each is removed in the same atomic run that
-- returns it, so of several nodes calling expired() exactly one gets it.
-- KEYS: index · ARGV: prefix, limit · returns flat {member, entry JSON, ...}.
-- Per-channel keys are built from the index member, so this needs a single Redis (not Redis
-- Cluster), which is what the broker needs too.
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, m in ipairs(members) do
  redis.call('ZREM', KEYS[1], m)
  local ok, e = pcall(cjson.decode, m)
  if ok and type(e) == 'table' and #e == 3 then
    local tail = #e[1] .. ':' .. e[1] .. ':' .. e[2]
    local h = ARGV[1] .. 'presence:h:' .. tail
    local z = ARGV[1] .. 'presence:z:' .. tail
    local l = ARGV[1] .. 'presence:l:' .. tail
    local score = redis.call('ZSCORE', z, e[3])
    if score and tonumber(score) <= now then
      redis.call('ZREM', z, e[3])
      local v = redis.call('HGET', h, e[3])
      redis.call('HDEL', h, e[3])
      if v then
        local f = lfield(v)
        if f and redis.call('HGET', l, f) == m then redis.call('HDEL', l, f) end
        out[#out + 1] = m
        out[#out + 1] = v
      end
    end
  end
end
return out
