import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { closeRedis, redisConnection } from '../broker/redis-connection.ts';
import { Errors } from '../errors.ts';
import type { LiveStreams } from './live-streams.ts';

const ALLOCATE = fs.readFileSync(new URL('./allocate.lua', import.meta.url), 'utf8');

interface Scripts {
  xpAllocate(counter: string, epochKey: string, count: number, epoch: string): Promise<[number, string]>;
}

/**
 * Live streams shared by a cluster in Redis: see LiveStreams for the contract. Per channel: a
 * counter and an epoch (allocated together by allocate.lua) and, for cache channels, a sorted set of
 * publications scored by offset, trimmed to the cache size (publications of several nodes may be
 * written out of order; the score keeps them ordered).
 */
export class RedisLiveStreams implements LiveStreams {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly scripts: Scripts;

  constructor(url: string, private readonly prefix = 'xpush:') {
    this.redis = redisConnection(url, { offlineQueue: true, maxRetriesPerRequest: 0 });
    this.redis.defineCommand('xpAllocate', { numberOfKeys: 2, lua: ALLOCATE });
    this.scripts = this.redis as unknown as Scripts;
  }

  private key(app: string, channel: string, part: 'n' | 'e' | 'c'): string {
    return `${this.prefix}live:${app}:${channel}:${part}`;
  }

  async allocate(app: string, channel: string, count: number): Promise<{ first: number; epoch: string }> {
    const [first, epoch] = await this.run(this.scripts.xpAllocate(this.key(app, channel, 'n'), this.key(app, channel, 'e'), count, randomBytes(4).toString('hex')));
    return { first: Number(first), epoch };
  }

  async keep(app: string, channel: string, items: { offset: number; publication: string }[], limit: number): Promise<void> {
    if (items.length === 0) return;
    const k = this.key(app, channel, 'c');
    const args: (string | number)[] = [];
    for (const it of items) args.push(it.offset, it.publication);
    await this.run(this.redis.multi().zadd(k, ...args).zremrangebyrank(k, 0, -(limit + 1)).exec());
  }

  async recent(app: string, channel: string): Promise<{ publications: string[]; top: number; epoch: string }> {
    const r = await this.run(this.redis.multi()
      .zrange(this.key(app, channel, 'c'), 0, -1)
      .get(this.key(app, channel, 'n'))
      .get(this.key(app, channel, 'e'))
      .exec());
    const [kept, top, epoch] = (r ?? []).map((x) => x[1]) as [string[], string | null, string | null];
    return { publications: kept ?? [], top: Number(top ?? 0), epoch: epoch ?? '' };
  }

  async drop(app: string, channel: string): Promise<void> {
    await this.run(this.redis.del(this.key(app, channel, 'n'), this.key(app, channel, 'e'), this.key(app, channel, 'c')));
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }

  private async run<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch {
      throw Errors.unavailable.with('Redis unreachable (live channel positions); retry later');
    }
  }
}
