-- UserPresence.sweep: (1) claims connections whose node stopped renewing them (it died), as if they
-- closed now; (2) claims the offline transitions that are due and still true. Each claim is removed
-- in the run that makes it, so of several nodes sweeping at once exactly one fires each offline.
-- KEYS: index, due zset · ARGV: prefix, limit, delayMs
-- Returns {claimed connections, due entries read, app1, user1, app2, user2, ...} (users gone offline).
-- Per-user keys are built from the members, so this needs a single Redis (as the broker does).
local limit = tonumber(ARGV[2])
local live = string.format('(%d', now)
local function tail(app, user) return #app .. ':' .. app .. ':' .. user end
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
for _, m in ipairs(lapsed) do
  redis.call('ZREM', KEYS[1], m)
  local ok, e = pcall(cjson.decode, m)
  if ok and type(e) == 'table' and #e == 3 then
    local u = ARGV[1] .. 'up:u:' .. tail(e[1], e[2])
    local score = redis.call('ZSCORE', u, e[3])
    if score and tonumber(score) <= now then
      redis.call('ZREM', u, e[3])
      redis.call('ZREM', ARGV[1] .. 'up:a:' .. #e[1] .. ':' .. e[1], e[3])
      if redis.call('ZCOUNT', u, live, '+inf') == 0 and redis.call('EXISTS', ARGV[1] .. 'up:on:' .. tail(e[1], e[2])) == 1 then
        redis.call('ZADD', KEYS[2], 'NX', now + tonumber(ARGV[3]), #e[1] .. ':' .. e[1] .. e[2])
      end
    end
  end
end
local out = {#lapsed, 0}
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
out[2] = #due
for _, d in ipairs(due) do
  redis.call('ZREM', KEYS[2], d)
  local n, rest = string.match(d, '^(%d+):(.*)$')
  if n then
    local app = string.sub(rest, 1, tonumber(n))
    local user = string.sub(rest, tonumber(n) + 1)
    if redis.call('ZCOUNT', ARGV[1] .. 'up:u:' .. tail(app, user), live, '+inf') == 0
      and redis.call('DEL', ARGV[1] .. 'up:on:' .. tail(app, user)) == 1 then
      out[#out + 1] = app
      out[#out + 1] = user
    end
  end
end
return out
