-- Prepended to every presence script: the time comes from Redis (TIME), not from the node, so
-- nodes with skewed clocks agree on what has lapsed.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- The lingering-hash field of an entry (its user and device, length-prefixed); nil if unreadable.
local function lfield(json)
  local ok, e = pcall(cjson.decode, json)
  if ok and type(e) == 'table' and type(e.user) == 'string' and type(e.device) == 'string' then
    return #e.user .. ':' .. e.user .. e.device
  end
  return nil
end
