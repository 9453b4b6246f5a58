-- PresenceManager.get / stats. KEYS: hash, zset · returns {all entries (flat), ids already lapsed}.
return {redis.call('HGETALL', KEYS[1]), redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)}
