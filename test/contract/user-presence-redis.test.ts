import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisUserPresence } from '../../src/presence/user-presence-redis.ts';
import { XPushError } from '../../src/errors.ts';
import { userPresenceContract } from './user-presence.contract.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = `xpush-test:${randomBytes(4).toString('hex')}:`;

const admin = new Redis(REDIS_URL);
after(async () => {
  const keys = await admin.keys(`${root}*`);
  if (keys.length) await admin.del(...keys);
  await admin.quit();
});

userPresenceContract('redis', (ns, delayMs, ttlMs) => new RedisUserPresence(REDIS_URL, `${root}${ns}:`, delayMs, ttlMs), { shared: true });

describe('RedisUserPresence', () => {
  it('leaves no keys behind once every user went offline', async (t) => {
    const prefix = `${root}clean:`;
    const p = new RedisUserPresence(REDIS_URL, prefix, 50, 5000);
    t.after(() => p.close());
    const offline: string[] = [];
    await p.start({ online: () => undefined, offline: (_a, u) => offline.push(u) });
    await p.connected('app', 'u1', 'c1', { perUser: 3, perApp: 10 });
    await p.connected('app', 'u2', 'c2');
    assert.ok((await admin.keys(`${prefix}*`)).length > 0);
    await p.disconnected('app', 'u1', 'c1');
    await p.disconnected('app', 'u2', 'c2');
    for (let i = 0; i < 100 && offline.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(offline.sort(), ['u1', 'u2']);
    assert.deepEqual(await admin.keys(`${prefix}*`), []);
  });

  it('rejects with 503 quickly when Redis is unreachable', async (t) => {
    const p = new RedisUserPresence('redis://127.0.0.1:1', `${root}down:`);
    t.after(() => p.close());
    const t0 = Date.now();
    await assert.rejects(p.connected('app', 'u', 'c'), (err: unknown) => err instanceof XPushError && err.code === 503);
    await assert.rejects(p.sweep(), (err: unknown) => err instanceof XPushError && err.code === 503);
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  });
});
