-- Cluster occupancy (occupancy-redis.ts). Per channel, a set of the nodes that hold a subscriber;
-- per node, an index of its channels and a liveness key; one set of every node that ever joined.
-- ARGV[1] = operation, ARGV[2] = key prefix ('<prefix>occ:'), ARGV[3] = node id.
local op, p, node = ARGV[1], ARGV[2], ARGV[3]

-- Removes `n` from every channel it holds; returns the channels left with no node at all.
local function drop(n)
  local out = {}
  local idx = p .. 'n:' .. n
  for _, ch in ipairs(redis.call('SMEMBERS', idx)) do
    local k = p .. 'c:' .. ch
    if redis.call('SREM', k, n) == 1 and redis.call('SCARD', k) == 0 then out[#out + 1] = ch end
  end
  redis.call('DEL', idx)
  redis.call('SREM', p .. 'nodes', n)
  return out
end

if op == 'join' then
  -- ARGV[4] = channel member (JSON [app, channel]). Returns 1 when the channel became occupied.
  local k = p .. 'c:' .. ARGV[4]
  redis.call('SADD', p .. 'n:' .. node, ARGV[4])
  redis.call('SADD', p .. 'nodes', node)
  if redis.call('SADD', k, node) == 1 and redis.call('SCARD', k) == 1 then return 1 end
  return 0
elseif op == 'leave' then
  -- Returns 1 when the channel became vacant.
  local k = p .. 'c:' .. ARGV[4]
  redis.call('SREM', p .. 'n:' .. node, ARGV[4])
  if redis.call('SREM', k, node) == 1 and redis.call('SCARD', k) == 0 then return 1 end
  return 0
elseif op == 'beat' then
  -- ARGV[4] = ttl ms. Returns 1 when this node had been reaped (its channels must be restored).
  redis.call('SET', p .. 'alive:' .. node, '1', 'PX', tonumber(ARGV[4]))
  return redis.call('SADD', p .. 'nodes', node)
elseif op == 'reset' then
  -- A node starting (again): whatever it held before belongs to a process that is gone.
  return drop(node)
elseif op == 'reap' then
  -- Every node whose liveness key lapsed: its channels are dropped, vacated ones returned.
  local out = {}
  for _, n in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
    if redis.call('EXISTS', p .. 'alive:' .. n) == 0 then
      for _, ch in ipairs(drop(n)) do out[#out + 1] = ch end
    end
  end
  return out
end
return redis.error_reply('occupancy.lua: unknown operation ' .. tostring(op))
