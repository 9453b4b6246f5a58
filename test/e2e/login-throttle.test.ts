// Issue 8, item 7: login throttling per (user, client IP) and per IP, with exponential backoff capped
// at maxBlockMs, 429 + Retry-After, cluster-wide through Redis; an attacker elsewhere never locks the
// real user out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { userSession } from '../helpers/clients.ts';
import { PG_URL, REDIS_URL, requireServices } from '../helpers/services.ts';
import { waitFor } from './e2e-kit.ts';
import { RedisProxy } from '../contract/redis-proxy.ts';

const PASSWORD = 'correct-horse-1';

function login(ts: TestServer, app: TestApp, user: string, password: string, ip?: string) {
  return ts.http('POST', `/v1/apps/${app.id}/auth/login`, { user, password, device: 'phone' }, { 'x-app-key': app.key, ...(ip ? { 'x-forwarded-for': ip } : {}) });
}

/** Status of each login in order (sequentially: the counts depend on the order). */
async function statuses(ts: TestServer, app: TestApp, tries: [string, string, string?][]): Promise<number[]> {
  const out: number[] = [];
  for (const [user, password, ip] of tries) out.push((await login(ts, app, user, password, ip)).status);
  return out;
}

async function setup(t: Parameters<typeof startServer>[0], loginThrottle: object, extra: object = {}) {
  const ts = await startServer(t, { trustProxy: true, loginThrottle, ...extra });
  const app = await ts.createApp();
  await userSession(ts, app, 'alice', 'phone', PASSWORD); // registers and logs in once (from 127.0.0.1)
  return { ts, app };
}

test('per (user, IP): blocked after the allowed failures, with Retry-After; backoff doubles; the real user elsewhere is unaffected', { timeout: 30_000 }, async (t) => {
  const { ts, app } = await setup(t, { userIpFailures: 3, ipFailures: 1000, blockMs: 1000, maxBlockMs: 4000 });
  const evil = '10.0.0.1';
  assert.deepEqual(await statuses(ts, app, [['alice', 'wrong-1', evil], ['alice', 'wrong-2', evil], ['alice', 'wrong-3', evil]]), [401, 401, 401]);
  // Blocked: even the right password is not looked at.
  const blocked = await login(ts, app, 'alice', PASSWORD, evil);
  assert.equal(blocked.status, 429, JSON.stringify(blocked.body));
  assert.equal(blocked.body.error.code, 111);
  assert.equal(blocked.body.error.temporary, true);
  assert.match(blocked.body.error.message, /too many failed logins; retry in 1 s/);
  const first = await fetch(`${ts.url}/v1/apps/${app.id}/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-app-key': app.key, 'x-forwarded-for': evil },
    body: JSON.stringify({ user: 'alice', password: PASSWORD, device: 'phone' }),
  });
  assert.equal(first.status, 429);
  assert.equal(first.headers.get('retry-after'), '1');

  // Alice from her own address, and another user from the attacker's address, are not affected.
  assert.equal((await login(ts, app, 'alice', PASSWORD, '192.0.2.7')).status, 200);
  assert.equal((await login(ts, app, 'bob', 'whatever-1', evil)).status, 401);

  // After the block, the window starts over; the next block is twice as long.
  await waitFor('the first block to end', async () => (await login(ts, app, 'alice', 'wrong-4', evil)).status === 401, 5000);
  assert.deepEqual(await statuses(ts, app, [['alice', 'wrong-5', evil], ['alice', 'wrong-6', evil]]), [401, 401]);
  const second = await login(ts, app, 'alice', 'wrong-7', evil);
  assert.equal(second.status, 429);
  assert.match(second.body.error.message, /retry in 2 s/);

  // A successful login from that address clears its (user, IP) count and strikes.
  await waitFor('the second block to end', async () => (await login(ts, app, 'alice', PASSWORD, evil)).status === 200, 6000);
  assert.deepEqual(await statuses(ts, app, [['alice', 'w', evil], ['alice', 'w', evil], ['alice', 'w', evil]]), [401, 401, 401]);
  assert.match((await login(ts, app, 'alice', 'w', evil)).body.error.message, /retry in 1 s/);
});

test('unknown users are throttled exactly like real ones (no enumeration through the limiter)', async (t) => {
  const { ts, app } = await setup(t, { userIpFailures: 2, ipFailures: 1000, blockMs: 60_000, maxBlockMs: 60_000 });
  const answers = async (user: string, ip: string) => {
    const out = [];
    for (let i = 0; i < 3; i++) out.push((await login(ts, app, user, 'wrong-password', ip)).body);
    return out;
  };
  assert.deepEqual(await answers('ghost', '10.1.0.1'), await answers('alice', '10.1.0.2'));
});

test('per IP: spraying many users from one address is blocked; successful logins there do not count', async (t) => {
  const { ts, app } = await setup(t, { userIpFailures: 100, ipFailures: 4, blockMs: 60_000, maxBlockMs: 60_000 });
  const sprayer = '10.2.0.1';
  assert.deepEqual(await statuses(ts, app, ['u1', 'u2', 'u3', 'u4'].map((u) => [u, 'Summer2024!', sprayer] as [string, string, string])), [401, 401, 401, 401]);
  assert.equal((await login(ts, app, 'u5', 'Summer2024!', sprayer)).status, 429);
  assert.equal((await login(ts, app, 'alice', PASSWORD, sprayer)).status, 429);
  assert.equal((await login(ts, app, 'alice', PASSWORD, '10.2.0.2')).status, 200);
  // A busy office: ten good logins and three typos from one address stay under a limit of four failures.
  const office = '10.2.0.3';
  const tries: [string, string, string][] = [];
  for (let i = 0; i < 10; i++) tries.push(['alice', PASSWORD, office]);
  tries.push(['alice', 'typo-1', office], ['alice', 'typo-2', office], ['alice', 'typo-3', office]);
  assert.deepEqual(await statuses(ts, app, tries), [...Array(10).fill(200), 401, 401, 401]);
});

test('a burst of parallel guesses gets exactly the allowed number of password checks', async (t) => {
  const { ts, app } = await setup(t, { userIpFailures: 3, ipFailures: 1000, blockMs: 60_000, maxBlockMs: 60_000 });
  const all = await Promise.all(Array.from({ length: 20 }, (_, i) => login(ts, app, 'alice', `guess-${i}`, '10.3.0.1')));
  const counts = all.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
  assert.deepEqual(counts, { 401: 3, 429: 17 });
});

test('without trustProxy a forged X-Forwarded-For does not give a fresh address', async (t) => {
  const { ts, app } = await setup(t, { userIpFailures: 2, ipFailures: 1000, blockMs: 60_000, maxBlockMs: 60_000 }, { trustProxy: false });
  assert.deepEqual(await statuses(ts, app, [['alice', 'w', '1.1.1.1'], ['alice', 'w', '2.2.2.2'], ['alice', PASSWORD, '3.3.3.3']]), [401, 401, 429]);
});

test('when the limiter cannot be reached, login fails closed with 503 (temporary), never unthrottled', { timeout: 30_000 }, async (t) => {
  if (!(await requireServices(t, 'redis'))) return;
  const proxy = new RedisProxy(REDIS_URL);
  await proxy.up();
  t.after(() => proxy.down());
  const prefix = `xpt${randomBytes(4).toString('hex')}:`;
  const ts = await startServer(t, { broker: { kind: 'redis', url: proxy.url, prefix } });
  const app = await ts.createApp();
  await userSession(ts, app, 'alice', 'phone', PASSWORD);
  await proxy.down(); // Redis goes away
  const r = await login(ts, app, 'alice', PASSWORD);
  assert.equal(r.status, 503, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 503);
  assert.equal(r.body.error.temporary, true);
});

test('with the redis broker the counts are cluster-wide: failures on one node block on another', { timeout: 30_000 }, async (t) => {
  if (!(await requireServices(t, 'postgres', 'redis'))) return;
  const schema = `xpt_${randomBytes(4).toString('hex')}`;
  const prefix = `xpt${randomBytes(4).toString('hex')}:`;
  t.after(async () => {
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
    const r = new Redis(REDIS_URL);
    const keys = await r.keys(`${prefix}*`);
    if (keys.length) await r.del(...keys);
    await r.quit();
  });
  const shared = {
    store: { kind: 'postgres', url: PG_URL, schema } as const, broker: { kind: 'redis', url: REDIS_URL, prefix } as const,
    trustProxy: true, loginThrottle: { userIpFailures: 2, ipFailures: 1000, blockMs: 60_000, maxBlockMs: 60_000 },
  };
  const a = await startServer(t, shared);
  const b = await startServer(t, shared);
  const app = await a.createApp();
  await userSession(a, app, 'alice', 'phone', PASSWORD);
  assert.deepEqual(await statuses(a, app, [['alice', 'w', '10.4.0.1'], ['alice', 'w', '10.4.0.1']]), [401, 401]);
  const other = await login(b, app, 'alice', PASSWORD, '10.4.0.1');
  assert.equal(other.status, 429, JSON.stringify(other.body));
  assert.equal((await login(b, app, 'alice', PASSWORD, '10.4.0.2')).status, 200);
});
