import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisPresence } from '../../src/presence/presence-redis.ts';
import { XPushError } from '../../src/errors.ts';
import { presenceContract } from './presence.contract.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = `xpush-test:${randomBytes(4).toString('hex')}:`;

async function keysUnder(r: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

const admin = new Redis(REDIS_URL);
after(async () => {
  const keys = await keysUnder(admin, root);
  if (keys.length) await admin.del(...keys);
  await admin.quit();
});

presenceContract('redis', (ns, ttlMs) => new RedisPresence(REDIS_URL, `${root}${ns}:`, ttlMs), { shared: true });

describe('RedisPresence', () => {
  it('leaves no keys behind once every entry is removed or claimed', async (t) => {
    const prefix = `${root}clean:`;
    const p = new RedisPresence(REDIS_URL, prefix, 150);
    t.after(() => p.close());
    await p.add('app', 'a', { user: 'u', client: 'c1', device: 'd' });
    await p.add('app', 'b', { user: 'u', client: 'c2', device: 'd' });
    assert.ok((await keysUnder(admin, prefix)).length > 0);
    await p.remove('app', 'a', 'c1');
    await new Promise((r) => setTimeout(r, 250));
    assert.equal((await p.expired()).length, 1);
    assert.deepEqual(await keysUnder(admin, prefix), []);
  });

  it('claims more lapsed entries than one batch holds', async (t) => {
    const p = new RedisPresence(REDIS_URL, `${root}batch:`, 100);
    t.after(() => p.close());
    const n = 1234;
    await p.touch(Array.from({ length: n }, (_, i) => ({ appId: 'app', channel: `ch${i % 10}`, user: `u${i}`, client: `c${i}`, device: 'd' })));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await p.expired()).length, n);
  });

  it('rejects with 503 quickly when Redis is unreachable', async (t) => {
    const p = new RedisPresence('redis://127.0.0.1:1', `${root}down:`);
    t.after(() => p.close());
    const t0 = Date.now();
    await assert.rejects(p.get('app', 'room'), (err: unknown) => err instanceof XPushError && err.code === 503);
    await assert.rejects(p.expired(), (err: unknown) => err instanceof XPushError && err.code === 503);
    assert.ok(Date.now() - t0 < 2500, `took ${Date.now() - t0} ms`);
  });
});
