import fs from 'node:fs';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { closeRedis, redisConnection } from '../broker/redis-connection.ts';
import { LocalCounts, type Occupancy, type OccupancyEvents } from './occupancy.ts';

const SCRIPT = fs.readFileSync(new URL('./occupancy.lua', import.meta.url), 'utf8');

interface Scripts {
  xpOccupancy(op: string, prefix: string, node: string, arg?: string | number): Promise<number | string[]>;
}

/**
 * Cluster occupancy in Redis: see Occupancy for the contract. This node counts its own subscribers
 * per channel; only its 0→1 and 1→0 steps reach Redis, where each channel keeps the set of nodes
 * holding a subscriber (occupancy.lua). Redis runs each step atomically and in the order one node
 * sent them, so "the set went from empty to one node" happens once per transition cluster-wide.
 *
 * A node proves it is alive every ttlMs/3 (a key with a TTL); every node periodically reaps nodes
 * whose key lapsed (they died), removing them from their channels — the channels left empty get
 * `vacated`, once, on the node whose reap emptied them.
 */
export class RedisOccupancy implements Occupancy {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly scripts: Scripts;
  private readonly local = new LocalCounts();
  private readonly p: string;
  private events: OccupancyEvents | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(url: string, prefix: string, private readonly node: string, private readonly ttlMs: number, private readonly log: Logger) {
    // Joins and leaves issued while Redis is briefly away wait for it (their order matters).
    this.redis = redisConnection(url, { offlineQueue: true, maxRetriesPerRequest: 1 });
    this.redis.defineCommand('xpOccupancy', { numberOfKeys: 0, lua: SCRIPT });
    this.scripts = this.redis as unknown as Scripts;
    this.p = `${prefix}occ:`;
  }

  async start(events: OccupancyEvents): Promise<void> {
    this.events = events;
    // What this node id held in a previous life is gone: those channels may be vacant now.
    this.emitVacated((await this.scripts.xpOccupancy('reset', this.p, this.node)) as string[]);
    await this.beat();
    this.timer = setInterval(() => void this.upkeep(), Math.max(200, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  joined(app: string, channel: string): void {
    if (this.local.add(app, channel, 1) !== 1) return;
    this.scripts.xpOccupancy('join', this.p, this.node, member(app, channel))
      .then((r) => { if (r === 1) this.events?.occupied(app, channel); })
      .catch((err) => this.log.warn({ err, app, channel }, 'occupancy join not recorded'));
  }

  left(app: string, channel: string): void {
    if (this.local.add(app, channel, -1) !== 0) return;
    this.scripts.xpOccupancy('leave', this.p, this.node, member(app, channel))
      .then((r) => { if (r === 1) this.events?.vacated(app, channel); })
      .catch((err) => this.log.warn({ err, app, channel }, 'occupancy leave not recorded'));
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // Leaves already issued run first (one connection, in order); then this node stops counting.
    await this.redis.del(`${this.p}alive:${this.node}`).catch(() => undefined);
    this.events = undefined;
    await closeRedis(this.redis);
  }

  private async beat(): Promise<boolean> {
    return (await this.scripts.xpOccupancy('beat', this.p, this.node, this.ttlMs)) === 1;
  }

  private async upkeep(): Promise<void> {
    try {
      if (await this.beat()) {
        // Another node took this one for dead (a long pause): put its channels back, silently.
        for (const { app, channel } of this.local.all()) await this.scripts.xpOccupancy('join', this.p, this.node, member(app, channel));
      }
      this.emitVacated((await this.scripts.xpOccupancy('reap', this.p, this.node)) as string[]);
    } catch (err) {
      this.log.warn({ err }, 'occupancy upkeep failed; retrying');
    }
  }

  private emitVacated(members: string[]): void {
    for (const m of members) {
      const [app, channel] = JSON.parse(m) as [string, string];
      this.events?.vacated(app, channel);
    }
  }
}

/** A channel's name in Redis: JSON, so any app or channel name round-trips. */
function member(app: string, channel: string): string {
  return JSON.stringify([app, channel]);
}
