import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisRateLimiter } from '../../src/limits/limiter-redis.ts';
import { XPushError } from '../../src/errors.ts';
import { rateLimiterContract } from './rate-limiter.contract.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = `xpush-test:${randomBytes(4).toString('hex')}:`;

const admin = new Redis(REDIS_URL);
after(async () => {
  const keys = await admin.keys(`${root}*`);
  if (keys.length) await admin.del(...keys);
  await admin.quit();
});

rateLimiterContract('redis', (ns) => new RedisRateLimiter(REDIS_URL, `${root}${ns}:`), { shared: true });

describe('RedisRateLimiter specifics', () => {
  it('keeps one hash per key under the prefix, expiring once the key is as good as new', async (t) => {
    const l = new RedisRateLimiter(REDIS_URL, `${root}ttl:`);
    t.after(() => l.close());
    await l.hit('k', { limit: 5, windowMs: 2000, backoff: { baseMs: 1000, maxMs: 3000 } });
    const ttl = await admin.pttl(`${root}ttl:limit:k`);
    // Window (2 s) + strike memory (maxMs, 3 s).
    assert.ok(ttl > 4000 && ttl <= 5000, `pttl ${ttl}`);
    const h = await admin.hgetall(`${root}ttl:limit:k`);
    assert.deepEqual([h.c, h.b, h.s], ['1', '0', '0']);
    assert.ok(Number(h.w) > Date.now() - 5000, `window end ${h.w} is an epoch-ms time`);
  });

  it('rejects with 503 (temporary) when Redis cannot be reached', async (t) => {
    const l = new RedisRateLimiter('redis://127.0.0.1:1', `${root}down:`);
    t.after(() => l.close());
    await assert.rejects(l.hit('k', { limit: 1, windowMs: 1000 }), (e: unknown) => e instanceof XPushError && e.code === 503 && e.temporary);
  });
});
