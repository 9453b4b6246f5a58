// Issue 11, items 5–6 on a 2-node cluster (two in-process nodes sharing the real Redis and
// PostgreSQL, so the test can count the hooks each node fires): a user connected on node A and on
// node B goes online once and offline once, after both connections dropped and the delay passed; a
// quick reconnect to the other node produces no offline/online and no leave/join; the per-user
// connection limit counts the connections of both nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import type { JoinContext, LeaveContext } from 'centrifuge';
import { createServer } from '../../src/index.ts';
import { PG_URL, REDIS_URL, requireServices } from '../helpers/services.ts';
import { newCentrifuge } from '../helpers/clients.ts';
import { closesOf } from '../helpers/closes.ts';
import { startBuilt, testConfig, waitFor, sleep } from '../e2e/e2e-kit.ts';
import type { TestServer } from '../helpers/server.ts';

const DELAY = 1000;

test('user presence across two nodes: online once, offline once, nothing for a quick move to the other node; limits count both nodes', { timeout: 60_000 }, async (t) => {
  if (!(await requireServices(t, 'postgres', 'redis'))) return;
  const tag = randomBytes(4).toString('hex');
  const prefix = `xpu${tag}:`;
  const schema = `xpu_${tag}`;
  t.after(async () => {
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
    const r = new Redis(REDIS_URL);
    const keys = await r.keys(prefix + '*');
    if (keys.length) await r.del(...keys);
    await r.quit();
  });

  const transitions: string[] = [];
  const node = async (id: string): Promise<TestServer> => {
    const cfg = testConfig({
      nodeId: id, store: { kind: 'postgres', url: PG_URL, schema }, broker: { kind: 'redis', url: REDIS_URL, prefix },
      presenceDelayMs: DELAY, presenceTtlMs: 1500, maxConnectionsPerUser: 3,
    });
    const s = await createServer(cfg);
    s.hook('afterUserOnline', ({ user }) => void transitions.push(`${id} online ${user}`));
    s.hook('afterUserOffline', ({ user }) => void transitions.push(`${id} offline ${user}`));
    return startBuilt(t, s, cfg.dataDir);
  };
  const a = await node('A');
  const b = await node('B');
  const app = await a.createApp();
  const token = async (user: string, device: string) => (await a.http('POST', `/v1/apps/${app.id}/tokens`, { user, device }, { 'x-api-key': app.secret })).body.token as string;
  assert.equal((await a.http('POST', `/v1/apps/${app.id}/channels`, { channel: 'room', type: 'open' }, { 'x-api-key': app.secret })).status, 201);
  const ofAlice = (): string[] => transitions.filter((x) => x.endsWith(' alice')).map((x) => x.slice(2));

  // The observer, on A.
  const bob = newCentrifuge(a.wsUrl, await token('bob', 'phone'));
  t.after(() => bob.disconnect());
  const joins: JoinContext[] = [];
  const leaves: LeaveContext[] = [];
  const bobSub = bob.newSubscription('room', { joinLeave: true });
  bobSub.on('join', (j) => { if (j.info.user === 'alice') joins.push(j); });
  bobSub.on('leave', (l) => { if (l.info.user === 'alice') leaves.push(l); });
  bobSub.subscribe();
  bob.connect();
  await bobSub.ready(3000);

  /** Alice on one device, subscribed to "room"; `target` says which node her next socket goes to. */
  const device = async (name: string, first: TestServer) => {
    const sockets: WebSocket[] = [];
    const d = { target: first.wsUrl, blocked: false, sockets };
    class Routed extends WebSocket {
      constructor(_url: string, protocols?: string | string[]) {
        super(d.blocked ? 'ws://127.0.0.1:1/connection/websocket' : d.target, protocols);
        sockets.push(this);
      }
    }
    const c = newCentrifuge(first.wsUrl, await token('alice', name), { websocket: Routed }, 100);
    t.after(() => c.disconnect());
    const s = c.newSubscription('room');
    s.subscribe();
    c.connect();
    await s.ready(3000);
    return { c, s, d, drop: () => sockets.at(-1)!.terminate() };
  };

  const phone = await device('phone', a);
  const laptop = await device('laptop', b);

  await t.test('online once in the cluster for a user connected on A and on B', async () => {
    await waitFor('two joins', () => joins.length === 2);
    await sleep(200);
    assert.deepEqual(ofAlice(), ['online alice'], JSON.stringify(transitions));
  });

  await t.test('the connection limit counts both nodes: one past it is refused with 3504 wherever it connects', async () => {
    await device('tablet', a); // 3 of 3
    const extra = newCentrifuge(b.wsUrl, await token('alice', 'watch'), {}, 100);
    t.after(() => extra.disconnect());
    const closes = closesOf(extra);
    extra.connect();
    await waitFor('the fourth refused', () => extra.state === 'disconnected');
    assert.equal(closes[0]?.code, 3504);
  });

  await t.test('a quick move of the phone from A to B: no leave, no join, no offline/online', async () => {
    let back = 0;
    phone.c.on('connected', () => back++);
    phone.d.target = b.wsUrl;
    const joinsBefore = joins.length;
    phone.drop();
    await waitFor('the phone back, on B', () => back === 1 && phone.s.state === 'subscribed');
    await sleep(DELAY + 800);
    assert.deepEqual(leaves, [], 'no leave');
    assert.equal(joins.length, joinsBefore, 'no join');
    assert.deepEqual(ofAlice(), ['online alice']);
  });

  await t.test('the phone and the laptop drop for good: one leave each, after the delay; the tablet keeps alice online', async () => {
    const droppedAt = Date.now();
    for (const d of [phone, laptop]) {
      d.d.blocked = true;
      d.drop();
    }
    await waitFor('leaves of the phone and the laptop', () => leaves.length === 2, DELAY + 4000);
    assert.ok(Date.now() - droppedAt >= DELAY, 'not before the delay');
    assert.deepEqual(leaves.map((l) => l.info.connInfo.device).sort(), ['laptop', 'phone']);
    assert.deepEqual(ofAlice(), ['online alice']);
  });

  await t.test('the last device is closed too: offline exactly once, on one node', async () => {
    assert.equal((await a.http('POST', `/v1/apps/${app.id}/disconnect`, { user: 'alice' }, { 'x-api-key': app.secret })).status, 200);
    await waitFor('offline', () => ofAlice().includes('offline alice'), DELAY + 5000);
    await sleep(DELAY + 1500); // both nodes sweep a few more times
    assert.deepEqual(ofAlice(), ['online alice', 'offline alice'], JSON.stringify(transitions));
    const perClient = new Map<string, number>();
    for (const l of leaves) perClient.set(l.info.client, (perClient.get(l.info.client) ?? 0) + 1);
    assert.ok([...perClient.values()].every((n) => n === 1), 'each connection left once');
  });
});
