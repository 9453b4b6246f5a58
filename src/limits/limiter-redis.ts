import fs from 'node:fs';
import type { Redis } from 'ioredis';
import { closeRedis, redisConnection } from '../broker/redis-connection.ts';
import { Errors } from '../errors.ts';
import { checkArgs, type LimitDecision, type LimitRule, type RateLimiter } from './limiter.ts';

const SCRIPT = fs.readFileSync(new URL('./limiter.lua', import.meta.url), 'utf8');

interface Scripts {
  xpLimit(key: string, cost: number, limit: number, windowMs: number, baseMs: number, maxMs: number, peek: 0 | 1): Promise<[number, number, number]>;
}

/**
 * Cluster-wide limits in Redis: see RateLimiter for the contract. Each key is one hash
 * (`prefix + 'limit:' + key`) updated by one Lua script (limiter.lua), so every node counts against
 * the same budget atomically, on the Redis server's clock; PEXPIRE drops a key once it is as good as
 * new. Commands wait at most 2 s (no offline queue), then reject with `Errors.unavailable`.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly scripts: Scripts;

  constructor(url: string, private readonly prefix = 'xpush:') {
    // Commands before the first connect wait for it; none is re-sent after a reconnect (a hit
    // counted twice would be wrong).
    this.redis = redisConnection(url, { offlineQueue: true, maxRetriesPerRequest: 0 });
    this.redis.defineCommand('xpLimit', { numberOfKeys: 1, lua: SCRIPT });
    this.scripts = this.redis as unknown as Scripts;
  }

  hit(key: string, rule: LimitRule, cost = 1): Promise<LimitDecision> {
    return this.run(key, rule, cost, 0);
  }

  peek(key: string, rule: LimitRule): Promise<LimitDecision> {
    return this.run(key, rule, 1, 1);
  }

  async reset(key: string): Promise<void> {
    await guard(this.redis.del(this.key(key)));
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }

  private async run(key: string, rule: LimitRule, cost: number, peek: 0 | 1): Promise<LimitDecision> {
    checkArgs(rule, cost);
    const [allowed, retryAfterMs, remaining] = await guard(
      this.scripts.xpLimit(this.key(key), cost, rule.limit, rule.windowMs, rule.backoff?.baseMs ?? 0, rule.backoff?.maxMs ?? 0, peek),
    );
    return { allowed: allowed === 1, retryAfterMs, remaining };
  }

  private key(key: string): string {
    return `${this.prefix}limit:${key}`;
  }
}

/** Redis failures (refused, timed out) become `Errors.unavailable`. */
async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw Errors.unavailable.with(`redis rate limiter: ${(err as Error).message}`);
  }
}
