import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { closeRedis, redisConnection } from '../broker/redis-connection.ts';
import { Errors } from '../errors.ts';
import type { Admission, ConnectionLimits, UserConnection, UserPresence, UserPresenceEvents } from './user-presence.ts';

/** Most lapsed connections / due offlines claimed per script run: one run stays short. */
const SWEEP_BATCH = 500;
/** A due offline is claimed this long after its time by the node that scheduled it (Redis and node clocks differ by ms). */
const SWEEP_SLACK_MS = 25;

function script(name: string): string {
  const read = (f: string): string => fs.readFileSync(new URL(`./lua/${f}`, import.meta.url), 'utf8');
  return `${read('now.lua')}\n${read(name)}`;
}

const SCRIPTS = {
  xpUserConnected: { numberOfKeys: 5, lua: script('user-connected.lua') },
  xpUserDisconnected: { numberOfKeys: 5, lua: script('user-disconnected.lua') },
  xpUserTouch: { numberOfKeys: 4, lua: script('user-touch.lua') },
  xpUserSweep: { numberOfKeys: 2, lua: script('user-sweep.lua') },
  xpUserOnline: { lua: script('user-online.lua') },
};

interface Scripts {
  xpUserConnected(u: string, a: string, idx: string, on: string, due: string, client: string, member: string, ttlMs: number, perUser: number, perApp: number, dueMember: string): Promise<[number, string, number?]>;
  xpUserDisconnected(u: string, a: string, idx: string, on: string, due: string, client: string, member: string, dueMember: string, delayMs: number): Promise<number>;
  xpUserTouch(u: string, a: string, idx: string, on: string, client: string, member: string, ttlMs: number): Promise<number>;
  xpUserSweep(idx: string, due: string, prefix: string, limit: number, delayMs: number): Promise<(number | string)[]>;
  xpUserOnline(numKeys: number, ...keys: string[]): Promise<number[]>;
}

type Pipeline = Scripts & { exec(): Promise<[Error | null, unknown][] | null> };

/**
 * Cluster-wide user presence in Redis: see UserPresence for the contract. Per (app, user) a sorted set
 * client → expiry (ms) and an "announced online" flag; per app a sorted set client → expiry (the
 * per-app connection count); one index of every connection by expiry (dead nodes' connections are
 * found with one range query), and one sorted set of pending offline transitions by due time.
 * Connections are renewed by each node's heartbeat (`touch`, every presenceTtlMs / 3) and lapse
 * `ttlMs` after their node stopped. Scripts: lua/user-*.lua; times are the Redis server's.
 *
 * The node that schedules an offline claims it with a timer at its due time; every node's `sweep`
 * is the fallback (the scheduling node may die meanwhile). Commands wait at most 2 s for Redis, then
 * reject with `Errors.unavailable`; none is re-sent after a reconnect (a re-sent `connected` could
 * lose its online event).
 */
export class RedisUserPresence implements UserPresence {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly scripts: Scripts;
  private events: UserPresenceEvents | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private sweeping: Promise<void> | undefined;
  private again: Promise<void> | undefined;
  private closed = false;

  constructor(url: string, private readonly prefix = 'xpush:', private readonly delayMs = 10_000, private readonly ttlMs = 15_000) {
    this.redis = redisConnection(url, { offlineQueue: true, maxRetriesPerRequest: 0 });
    for (const [name, def] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, def);
    this.scripts = this.redis as unknown as Scripts;
  }

  async start(events: UserPresenceEvents): Promise<void> {
    this.events = events;
  }

  async connected(app: string, user: string, client: string, limits: ConnectionLimits = {}): Promise<Admission> {
    const k = this.keys(app, user);
    const r = await guard(this.scripts.xpUserConnected(k.u, k.a, this.index, k.on, this.due, client, member(app, user, client), this.ttlMs,
      limits.perUser ?? 0, limits.perApp ?? 0, dueMember(app, user)));
    if (r[0] === 0) {
      const which = r[1] === 'user' ? 'user' : 'app';
      return { admitted: false, limit: which, max: (which === 'user' ? limits.perUser : limits.perApp) ?? 0 };
    }
    if (r[1] === 'online') this.events?.online(app, user);
    return { admitted: true };
  }

  async disconnected(app: string, user: string, client: string): Promise<void> {
    const k = this.keys(app, user);
    const due = await guard(this.scripts.xpUserDisconnected(k.u, k.a, this.index, k.on, this.due, client, member(app, user, client), dueMember(app, user), this.delayMs));
    if (due > 0) this.sweepIn(this.delayMs + SWEEP_SLACK_MS);
  }

  async online(app: string, users: string[]): Promise<Set<string>> {
    if (users.length === 0) return new Set();
    const keys = users.map((u) => this.keys(app, u).u);
    const counts = await guard(this.scripts.xpUserOnline(keys.length, ...keys));
    return new Set(users.filter((_, i) => counts[i]! > 0));
  }

  /** One pipeline for every connection of this node. */
  async touch(connections: UserConnection[]): Promise<void> {
    if (connections.length === 0) return;
    const p = this.redis.pipeline() as unknown as Pipeline;
    for (const c of connections) {
      const k = this.keys(c.app, c.user);
      void p.xpUserTouch(k.u, k.a, this.index, k.on, c.client, member(c.app, c.user, c.client), this.ttlMs);
    }
    const results = await guard(p.exec());
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw Errors.unavailable.with(`redis user presence: ${failed?.[0]?.message ?? 'pipeline aborted'}`);
  }

  /**
   * See UserPresence.sweep. One at a time per node; a sweep asked for while one runs runs after it
   * (what became due meanwhile is not missed). Loops while a batch came back full.
   */
  sweep(): Promise<void> {
    if (this.sweeping) {
      this.again ??= this.sweeping.catch(() => undefined).then(() => {
        this.again = undefined;
        return this.sweep();
      });
      return this.again;
    }
    this.sweeping = this.runSweep().finally(() => { this.sweeping = undefined; });
    return this.sweeping;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.events = undefined;
    await this.sweeping?.catch(() => undefined);
    await closeRedis(this.redis);
  }

  private async runSweep(): Promise<void> {
    for (;;) {
      const r = await guard(this.scripts.xpUserSweep(this.index, this.due, this.prefix, SWEEP_BATCH, this.delayMs));
      const [claimed, due] = [Number(r[0]), Number(r[1])];
      for (let i = 2; i + 1 < r.length; i += 2) this.events?.offline(String(r[i]), String(r[i + 1]));
      // Claimed connections scheduled offlines of their own: claim those at their time too.
      if (claimed > 0) this.sweepIn(this.delayMs + SWEEP_SLACK_MS);
      if (claimed < SWEEP_BATCH && due < SWEEP_BATCH) return;
    }
  }

  /** A sweep in `ms` (the earliest one asked for wins); failures wait for the next heartbeat. */
  private sweepIn(ms: number): void {
    if (this.closed) return;
    const at = Date.now() + ms;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sweep().catch(() => undefined);
    }, ms);
    this.timer.unref();
  }

  private get index(): string {
    return `${this.prefix}up:idx`;
  }

  private get due(): string {
    return `${this.prefix}up:due`;
  }

  /** Keys of one (app, user), length-prefixed in UTF-8 bytes as user-sweep.lua builds them. */
  private keys(app: string, user: string): { u: string; a: string; on: string } {
    const n = Buffer.byteLength(app);
    return {
      u: `${this.prefix}up:u:${n}:${app}:${user}`,
      a: `${this.prefix}up:a:${n}:${app}`,
      on: `${this.prefix}up:on:${n}:${app}:${user}`,
    };
  }
}

/** An index member: which connection; user-sweep.lua decodes it with cjson. */
function member(app: string, user: string, client: string): string {
  return JSON.stringify([app, user, client]);
}

/** A pending-offline member, in a form Lua can build too (user-sweep.lua): length-prefixed app, then user. */
function dueMember(app: string, user: string): string {
  return `${Buffer.byteLength(app)}:${app}${user}`;
}

async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw Errors.unavailable.with(`redis user presence: ${(err as Error).message}`);
  }
}
