import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { closeRedis, redisConnection } from '../broker/redis-connection.ts';
import type { PresenceEntry, PresenceInfo, PresenceManager } from './presence.ts';
import { Errors } from '../errors.ts';

/** Most lapsed entries claimed per script run: keeps one run short so Redis is never blocked for long. */
const EXPIRE_BATCH = 500;

/** A script of lua/, behind the shared prelude (Redis time, lingering-field helper). */
function script(name: string): string {
  const read = (f: string): string => fs.readFileSync(new URL(`./lua/${f}`, import.meta.url), 'utf8');
  return `${read('now.lua')}\n${read(name)}`;
}

const SCRIPTS = {
  xpPresenceAdd: { numberOfKeys: 4, lua: script('presence-add.lua') },
  xpPresenceRemove: { numberOfKeys: 4, lua: script('presence-remove.lua') },
  xpPresenceGet: { numberOfKeys: 2, lua: script('presence-get.lua') },
  xpPresenceCount: { numberOfKeys: 2, lua: script('presence-count.lua') },
  xpPresenceLinger: { numberOfKeys: 4, lua: script('presence-linger.lua') },
  xpPresenceEnter: { numberOfKeys: 4, lua: script('presence-enter.lua') },
  xpPresenceExpired: { numberOfKeys: 1, lua: script('presence-expired.lua') },
};

interface Scripts {
  xpPresenceAdd(h: string, z: string, idx: string, l: string, client: string, json: string, member: string, ttlMs: number): Promise<number>;
  xpPresenceRemove(h: string, z: string, idx: string, l: string, client: string, member: string): Promise<number>;
  xpPresenceGet(h: string, z: string): Promise<[string[], string[]]>;
  xpPresenceCount(z: string, l: string): Promise<number>;
  xpPresenceLinger(h: string, z: string, idx: string, l: string, client: string, member: string, ms: number): Promise<number>;
  xpPresenceEnter(h: string, z: string, idx: string, l: string, client: string, json: string, member: string, ttlMs: number, field: string): Promise<string>;
  xpPresenceExpired(idx: string, prefix: string, limit: number): Promise<string[]>;
}

/**
 * Cluster presence in Redis: see PresenceManager for the contract. Per (app, channel): a hash
 * clientId → entry JSON, a sorted set clientId → expiry (ms), and a hash of lingering entries
 * (user+device → index member) for `enter`. One global sorted set indexes every (app, channel,
 * client) by expiry, so `expired()` is one range query however many channels exist. Scripts: lua/.
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
    // (the scripts are upserts or removals; a re-sent `enter` at worst announces a join).
    this.redis = redisConnection(url, { offlineQueue: true, maxRetriesPerRequest: 1 });
    for (const [name, def] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, def);
    this.scripts = this.redis as unknown as Scripts;
    this.index = `${prefix}presence:expiry`;
  }

  async add(appId: string, channel: string, entry: PresenceInfo): Promise<void> {
    const [h, z, l] = this.keys(appId, channel);
    await guard(this.scripts.xpPresenceAdd(h, z, this.index, l, entry.client, encode(entry), member(appId, channel, entry.client), this.ttlMs));
  }

  async remove(appId: string, channel: string, clientId: string): Promise<void> {
    const [h, z, l] = this.keys(appId, channel);
    await guard(this.scripts.xpPresenceRemove(h, z, this.index, l, clientId, member(appId, channel, clientId)));
  }

  async count(appId: string, channel: string): Promise<number> {
    const [, z, l] = this.keys(appId, channel);
    return guard(this.scripts.xpPresenceCount(z, l));
  }

  async linger(appId: string, channel: string, clientId: string, ms: number): Promise<void> {
    const [h, z, l] = this.keys(appId, channel);
    await guard(this.scripts.xpPresenceLinger(h, z, this.index, l, clientId, member(appId, channel, clientId), Math.max(1, Math.round(ms))));
  }

  async enter(appId: string, channel: string, entry: PresenceInfo): Promise<string | undefined> {
    const [h, z, l] = this.keys(appId, channel);
    const field = `${Buffer.byteLength(entry.user)}:${entry.user}${entry.device}`;
    const took = await guard(this.scripts.xpPresenceEnter(h, z, this.index, l, entry.client, encode(entry), member(appId, channel, entry.client), this.ttlMs, field));
    return took || undefined;
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
      const [h, z, l] = this.keys(e.appId, e.channel);
      void p.xpPresenceAdd(h, z, this.index, l, e.client, encode(e), member(e.appId, e.channel, e.client), this.ttlMs);
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
   * [hash, zset, lingering] of one channel. The app id is length-prefixed (in UTF-8 bytes, as Lua's
   * `#` counts) so no two (app, channel) pairs share a key; presence-expired.lua builds the same names.
   */
  private keys(appId: string, channel: string): [string, string, string] {
    const tail = `${Buffer.byteLength(appId)}:${appId}:${channel}`;
    return [`${this.prefix}presence:h:${tail}`, `${this.prefix}presence:z:${tail}`, `${this.prefix}presence:l:${tail}`];
  }
}

/** The index member naming one entry; the scripts decode it with cjson. */
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
