-- RateLimiter.hit / peek for one key, atomically (see src/limits/limiter.ts: `step` is the same
-- state machine in TypeScript, and the contract suite runs both).
-- KEYS[1]: the key (a hash: c = count, w = window end, b = blocked until, s = strikes)
-- ARGV: cost, limit, windowMs, backoff baseMs (0 = no backoff), backoff maxMs, peek (1 = count nothing)
-- Returns {allowed (1|0), retryAfterMs, remaining}.
-- Time is the Redis server's clock, so nodes with skewed clocks agree.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local base = tonumber(ARGV[4])
local maxb = tonumber(ARGV[5])
local peek = ARGV[6] == '1'
local memory = 0
if base > 0 then memory = maxb end

local v = redis.call('HMGET', KEYS[1], 'c', 'w', 'b', 's')
local c = tonumber(v[1]) or 0
local w = tonumber(v[2]) or 0
local b = tonumber(v[3]) or 0
local s = tonumber(v[4]) or 0

local function save(count, wend, bend, strikes, keep)
  redis.call('HSET', KEYS[1], 'c', count, 'w', wend, 'b', bend, 's', strikes)
  redis.call('PEXPIRE', KEYS[1], math.max(1, keep))
end

if b > now then
  return {0, b - now, 0}
end
if w <= now then
  c = 0
  w = now + window
end
if peek then
  if c + 1 <= limit then return {1, 0, limit - c} end
  if base == 0 then return {0, w - now, 0} end
  return {0, math.min(base * 2 ^ s, maxb), 0}
end
if cost <= 0 or c + cost <= limit then
  c = math.max(0, c + cost)
  save(c, w, 0, s, w - now + memory)
  return {1, 0, math.max(0, limit - c)}
end
if base == 0 then
  save(c, w, 0, s, w - now)
  return {0, w - now, 0}
end
s = s + 1
local block = math.min(base * 2 ^ (s - 1), maxb)
save(0, 0, now + block, s, block + memory)
return {0, block, 0}
