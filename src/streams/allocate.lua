-- KEYS[1] = counter, KEYS[2] = epoch; ARGV[1] = how many offsets, ARGV[2] = an epoch to use if none yet.
-- Returns {first offset, epoch}: the counter and the epoch move together, atomically.
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[2], epoch)
  redis.call('DEL', KEYS[1])
end
local top = redis.call('INCRBY', KEYS[1], tonumber(ARGV[1]))
return {top - tonumber(ARGV[1]) + 1, epoch}
