-- PresenceManager.count. KEYS: zset · live entries (expiry after now).
return redis.call('ZCOUNT', KEYS[1], string.format('(%d', now), '+inf')
