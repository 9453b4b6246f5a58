import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Redis } from 'ioredis';
import { RedisOccupancy } from '../../src/webhooks/occupancy-redis.ts';
import { occupancyContract } from './occupancy.contract.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = `xpush-test:${randomBytes(4).toString('hex')}:`;

after(async () => {
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${root}*`);
  if (keys.length) await r.del(...keys);
  await r.quit();
});

occupancyContract('redis', (ns, node, ttlMs) => new RedisOccupancy(REDIS_URL, `${root}${ns}:`, node, ttlMs, pino({ level: 'silent' })), { shared: true });
