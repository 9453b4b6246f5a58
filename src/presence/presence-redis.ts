import type { Redis } from 'ioredis';
import { closeRedis, redisConnection } from '../broker/redis-connection.ts';
import type { PresenceEntry, PresenceInfo, PresenceManager } from './presence.ts';
import { Errors } from '../errors.ts';

/** Most lapsed entries claimed per script run: keeps one run short so Redis is never blocked for long. */
const EXPIRE_BATCH = 500;

// Scripts read the time from Redis (TIME), not from the node: nodes with skewed clocks then agree on
// what has lapsed. They build per-channel keys from the index member, so they need a single Redis
// (not Redis Cluster), which is what the broker needs too.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: hash, zset, index · ARGV: client, entry JSON, index member, ttlMs. Upsert + new expiry. */
const ADD = `${NOW}
local exp = now + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], exp, ARGV[1])
redis.call('ZADD', KEYS[3], exp, ARGV[3])
return exp`;

/** KEYS: hash, zset, index · ARGV: client, index member. */
const REMOVE = `redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1`;

/** KEYS: hash, zset · returns {all entries (flat), ids already lapsed}. */
const GET = `${NOW}
return {redis.call('HGETALL', KEYS[1]), redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)}`;

/**
 * KEYS: index · ARGV: prefix, limit. Claims lapsed entries: each is removed in the same atomic run
 * that returns it, so of several nodes calling expired() exactly one gets it. Returns flat
 * {member, entry JSON, ...}.
 */
const EXPIRED = `${NOW}
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, m in ipairs(members) do
  redis.call('ZREM', KEYS[1], m)
  local ok, e = pcall(cjson.decode, m)
  if ok and type(e) == 'table' and #e == 3 then
    local tail = #e[1] .. ':' .. e[1] .. ':' .. e[2]
    local h = ARGV[1] .. 'presence:h:' .. tail
    local z = ARGV[1] .. 'presence:z:' .. tail
    local score = redis.call('ZSCORE', z, e[3])
    if score and tonumber(score) <= now then
      redis.call('ZREM', z, e[3])
      local v = redis.call('HGET', h, e[3])
      redis.call('HDEL', h, e[3])
      if v then
        out[#out + 1] = m
        out[#out + 1] = v
      end
    end
  end
end
return out`;

interface Scripts {
  xpPresenceAdd(h: string, z: string, idx: string, client: string, json: string, member: string, ttlMs: number): Promise<number>;
  xpPresenceRemove(h: string, z: string, idx: string, client: string, member: string): Promise<number>;
  xpPresenceGet(h: string, z: string): Promise<[string[], string[]]>;
  xpPresenceExpired(idx: string, prefix: string, limit: number): Promise<string[]>;
}

/**
 * Cluster presence in Redis: see PresenceManager for the contract. Per (app, channel): a hash
 * clientId → entry JSON and a sorted set clientId → expiry (ms). One global sorted set indexes every
 * (app, channel, client) by expiry, so `expired()` is one range query however many channels exist.
 *
 * `touch` is an upsert, like `add`: after Redis lost its data (restart without persistence) the
 * holding nodes restore presence within one heartbeat (no join event is sent for a restored entry).
 * Commands wait at most 2 s for Redis, then reject with `Errors.unavailable`.
 */
export class RedisPresence implements PresenceManager {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly scripts: Scripts;
  private readonly index: string;

  constructor(url: string, private readonly prefix = 'xpush:', private readonly ttlMs = 15000) {
    // Commands issued before the first connect wait for it; one re-send after a reconnect is safe
    // (every script is an idempotent upsert or removal).
    this.redis = redisConnection(url, { offlineQueue: true, maxRetriesPerRequest: 1 });
    this.redis.defineCommand('xpPresenceAdd', { numberOfKeys: 3, lua: ADD });
    this.redis.defineCommand('xpPresenceRemove', { numberOfKeys: 3, lua: REMOVE });
    this.redis.defineCommand('xpPresenceGet', { numberOfKeys: 2, lua: GET });
    this.redis.defineCommand('xpPresenceExpired', { numberOfKeys: 1, lua: EXPIRED });
    this.scripts = this.redis as unknown as Scripts;
    this.index = `${prefix}presence:expiry`;
  }

  async add(appId: string, channel: string, entry: PresenceInfo): Promise<void> {
    const [h, z] = this.keys(appId, channel);
    await guard(this.scripts.xpPresenceAdd(h, z, this.index, entry.client, encode(entry), member(appId, channel, entry.client), this.ttlMs));
  }

  async remove(appId: string, channel: string, clientId: string): Promise<void> {
    const [h, z] = this.keys(appId, channel);
    await guard(this.scripts.xpPresenceRemove(h, z, this.index, clientId, member(appId, channel, clientId)));
  }

  async get(appId: string, channel: string): Promise<Record<string, PresenceInfo>> {
    const out: Record<string, PresenceInfo> = {};
    for (const info of await this.live(appId, channel)) out[info.client] = info;
    return out;
  }

  async stats(appId: string, channel: string): Promise<{ numClients: number; numUsers: number }> {
    const live = await this.live(appId, channel);
    return { numClients: live.length, numUsers: new Set(live.map((e) => e.user)).size };
  }

  /** See PresenceManager.touch: one pipeline for all entries. */
  async touch(entries: PresenceEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const p = this.redis.pipeline() as unknown as Scripts & { exec(): Promise<[Error | null, unknown][] | null> };
    for (const e of entries) {
      const [h, z] = this.keys(e.appId, e.channel);
      void p.xpPresenceAdd(h, z, this.index, e.client, encode(e), member(e.appId, e.channel, e.client), this.ttlMs);
    }
    const results = await guard(p.exec());
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw Errors.unavailable.with(`redis presence: ${failed?.[0]?.message ?? 'pipeline aborted'}`);
  }

  /** See PresenceManager.expired. Loops in batches until nothing lapsed is left. */
  async expired(): Promise<PresenceEntry[]> {
    const out: PresenceEntry[] = [];
    for (;;) {
      const flat = await guard(this.scripts.xpPresenceExpired(this.index, this.prefix, EXPIRE_BATCH));
      for (let i = 0; i < flat.length; i += 2) {
        const [appId, channel] = JSON.parse(flat[i]!) as [string, string, string];
        out.push({ appId, channel, ...decode(flat[i + 1]!) });
      }
      // A short batch means the index held no more lapsed members at that instant.
      if (flat.length / 2 < EXPIRE_BATCH) return out;
    }
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }

  private async live(appId: string, channel: string): Promise<PresenceInfo[]> {
    const [h, z] = this.keys(appId, channel);
    const [all, lapsed] = await guard(this.scripts.xpPresenceGet(h, z));
    const dead = new Set(lapsed);
    const out: PresenceInfo[] = [];
    for (let i = 0; i < all.length; i += 2) if (!dead.has(all[i]!)) out.push(decode(all[i + 1]!));
    return out;
  }

  /**
   * [hash, zset] of one channel. The app id is length-prefixed (in UTF-8 bytes, as Lua's `#` counts)
   * so no two (app, channel) pairs share a key; the EXPIRED script builds the same names.
   */
  private keys(appId: string, channel: string): [string, string] {
    const tail = `${Buffer.byteLength(appId)}:${appId}:${channel}`;
    return [`${this.prefix}presence:h:${tail}`, `${this.prefix}presence:z:${tail}`];
  }
}

/** The index member naming one entry; the EXPIRED script decodes it with cjson. */
function member(appId: string, channel: string, clientId: string): string {
  return JSON.stringify([appId, channel, clientId]);
}

function encode(e: PresenceInfo): string {
  return JSON.stringify({ user: e.user, client: e.client, device: e.device, info: e.info });
}

function decode(json: string): PresenceInfo {
  const e = JSON.parse(json) as PresenceInfo;
  const out: PresenceInfo = { user: e.user, client: e.client, device: e.device };
  if (e.info !== undefined) out.info = e.info;
  return out;
}

/** Redis failures (refused, timed out, retries exhausted) become `Errors.unavailable`. */
async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw Errors.unavailable.with(`redis presence: ${(err as Error).message}`);
  }
}
