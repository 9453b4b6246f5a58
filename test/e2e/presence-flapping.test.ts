// Issue 11, item 6: presence without flapping. A device that drops and comes back within
// presenceDelayMs produces no leave/join pair for the channel's subscribers and no offline/online
// transition (the hooks webhooks listen to); one that stays away leaves after the delay; a deliberate
// close or a terminal disconnect leaves at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JoinContext, LeaveContext } from 'centrifuge';
import { startServer, type TestServer } from '../helpers/server.ts';
import { api, newCentrifuge } from '../helpers/clients.ts';
import { connectSdk, gatedWebSocket, sleep, tokenFor, waitFor } from './e2e-kit.ts';

const DELAY = 800;

async function setup(t: Parameters<typeof startServer>[0], extra = {}) {
  const ts = await startServer(t, { presenceDelayMs: DELAY, ...extra });
  const app = await ts.createApp();
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', type: 'open' })).status, 201);
  const transitions: string[] = [];
  ts.server.hook('afterUserOnline', ({ user }) => void transitions.push(`online ${user}`));
  ts.server.hook('afterUserOffline', ({ user }) => void transitions.push(`offline ${user}`));
  // The observer: bob, watching joins and leaves.
  const bob = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob'));
  const joins: JoinContext[] = [];
  const leaves: LeaveContext[] = [];
  const sub = bob.c.newSubscription('room', { joinLeave: true });
  sub.on('join', (j) => joins.push(j));
  sub.on('leave', (l) => leaves.push(l));
  sub.subscribe();
  await sub.ready(2000);
  return { ts, app, transitions, joins, leaves, ofAlice: (xs: (JoinContext | LeaveContext)[]) => xs.filter((x) => x.info.user === 'alice') };
}

/** Alice on her phone, subscribed to "room", through a WebSocket the test can cut or keep from reconnecting. */
async function alicePhone(t: { after(fn: () => unknown): void }, ts: TestServer, token: string) {
  const gate = gatedWebSocket();
  const c = newCentrifuge(ts.wsUrl, token, { websocket: gate.ctor }, 100);
  t.after(() => c.disconnect());
  const s = c.newSubscription('room');
  s.subscribe();
  c.connect();
  await s.ready(3000);
  return { c, s, gate, drop: () => gate.sockets.at(-1)!.terminate() };
}

const presence = async (ts: TestServer, app: { id: string; secret: string; key: string }) =>
  Object.values((await api(ts, app, 'GET', '/channels/room/presence')).body.presence as Record<string, { user: string; client: string; device: string }>);

test('a device that drops and comes back within the delay: no leave, no join, no offline/online; presence shows the new connection', async (t) => {
  const { ts, app, transitions, joins, leaves, ofAlice } = await setup(t);
  const alice = await alicePhone(t, ts, await tokenFor(ts, app, 'alice', 'phone'));
  await waitFor('alice joined', () => ofAlice(joins).length === 1);
  const firstClient = ofAlice(joins)[0]!.info.client;
  await waitFor('alice online', () => transitions.includes('online alice'));

  let reconnected = 0;
  alice.c.on('connected', () => reconnected++);
  alice.drop(); // the link dies (1006 on both ends); the SDK reconnects and resubscribes
  await waitFor('alice back', () => reconnected === 1 && alice.s.state === 'subscribed');
  await sleep(DELAY + 700); // past the delay and the keeper's next look
  assert.deepEqual(ofAlice(leaves), [], 'no leave');
  assert.equal(ofAlice(joins).length, 1, 'no second join');
  assert.deepEqual(transitions.filter((x) => x.endsWith('alice')), ['online alice'], 'no offline/online pair');
  const now = (await presence(ts, app)).filter((e) => e.user === 'alice');
  assert.equal(now.length, 1, 'one entry for the phone');
  assert.notEqual(now[0]!.client, firstClient, 'the new connection took the entry over');
  assert.equal(now[0]!.device, 'phone');
});

test('a device that stays away leaves after the delay (not before): one leave, then offline', async (t) => {
  const { ts, app, transitions, leaves, ofAlice } = await setup(t);
  const alice = await alicePhone(t, ts, await tokenFor(ts, app, 'alice', 'phone'));
  await waitFor('alice online', () => transitions.includes('online alice'));
  alice.gate.block(); // reconnects fail from now on
  const droppedAt = Date.now();
  alice.drop();
  await sleep(DELAY / 2);
  assert.deepEqual(ofAlice(leaves), [], 'still present within the delay');
  assert.equal((await presence(ts, app)).filter((e) => e.user === 'alice').length, 1, 'listed while lingering');
  await waitFor('the leave', () => ofAlice(leaves).length === 1, DELAY + 2000);
  const after = Date.now() - droppedAt;
  assert.ok(after >= DELAY, `leave after ${after} ms`);
  assert.equal(ofAlice(leaves)[0]!.info.connInfo.device, 'phone');
  await waitFor('offline', () => transitions.includes('offline alice'), DELAY + 2000);
  assert.deepEqual(transitions.filter((x) => x.endsWith('alice')), ['online alice', 'offline alice']);
  assert.deepEqual((await presence(ts, app)).filter((e) => e.user === 'alice'), []);
  await sleep(DELAY);
  assert.equal(ofAlice(leaves).length, 1, 'once');
});

test('a deliberate close or a terminal disconnect leaves at once', async (t) => {
  const { ts, app, leaves, ofAlice } = await setup(t);
  const phone = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'alice', 'phone'));
  const s1 = phone.c.newSubscription('room');
  s1.subscribe();
  await s1.ready(2000);
  const laptop = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'alice', 'laptop'));
  const s2 = laptop.c.newSubscription('room');
  s2.subscribe();
  await s2.ready(2000);
  const t0 = Date.now();
  phone.c.disconnect(); // the SDK closes on purpose
  await waitFor('leave of the phone', () => ofAlice(leaves).length === 1);
  assert.equal((await api(ts, app, 'POST', '/disconnect', { user: 'alice', device: 'laptop' })).status, 200); // kicked, 3503
  await waitFor('leave of the laptop', () => ofAlice(leaves).length === 2);
  assert.ok(Date.now() - t0 < DELAY, `both leaves came before the delay (${Date.now() - t0} ms)`);
});

test('a device coming back into a full channel is not refused: its lingering entry does not count', async (t) => {
  const { ts, app } = await setup(t);
  const r = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { limits: { maxPresenceSize: 2 } }, { authorization: `Bearer ${ts.adminToken}` });
  assert.equal(r.status, 200);
  const alice = await alicePhone(t, ts, await tokenFor(ts, app, 'alice', 'phone')); // bob + alice: full
  const errors: number[] = [];
  alice.s.on('error', (e) => errors.push(e.error.code));
  let reconnected = 0;
  alice.c.on('connected', () => reconnected++);
  alice.drop();
  await waitFor('alice back in the room', () => reconnected === 1 && alice.s.state === 'subscribed');
  assert.deepEqual(errors, []);
  assert.equal((await presence(ts, app)).length, 2);
});
