// Item 9: who is online in a channel (users and their devices), join/leave pushes, presence stats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JoinContext, LeaveContext } from 'centrifuge';
import { startServer } from '../helpers/server.ts';
import { api, rawClient, sdkClient } from '../helpers/clients.ts';
import { connectSdk, dataOf, ENCODINGS, sleep, tokenFor, waitFor } from './e2e-kit.ts';

async function setup(t: Parameters<typeof startServer>[0]) {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const tokens = {
    alicePhone: await tokenFor(ts, app, 'alice', 'phone'),
    aliceLaptop: await tokenFor(ts, app, 'alice', 'laptop'),
    bob: await tokenFor(ts, app, 'bob', 'phone'),
    carol: await tokenFor(ts, app, 'carol', 'phone'),
  };
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'] })).status, 201);
  return { ts, app, tokens };
}

for (const enc of ENCODINGS) test(`presence lists every device of a user; join and leave reach subscribers that asked for them [${enc}]`, { timeout: 20_000 }, async (t) => {
  const { ts, app, tokens } = await setup(t);
  const bob = await sdkClient(t, ts.wsUrl, tokens.bob, { encoding: enc });
  const joins: JoinContext[] = [];
  const leaves: LeaveContext[] = [];
  const bobSub = bob.newSubscription('room', { joinLeave: true });
  bobSub.on('join', (j) => joins.push(j));
  bobSub.on('leave', (l) => leaves.push(l));
  bobSub.subscribe();
  await bobSub.ready(2000);

  // A second observer that did not ask for join/leave.
  const observer = await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'tablet'), { encoding: enc });
  const quietSub = observer.newSubscription('room');
  const quietEvents: unknown[] = [];
  quietSub.on('join', (j) => quietEvents.push(j));
  quietSub.on('leave', (l) => quietEvents.push(l));
  quietSub.subscribe();
  await quietSub.ready(2000);

  // Alice comes online on two devices.
  const phone = await connectSdk(t, ts.wsUrl, tokens.alicePhone, { encoding: enc });
  const laptop = await connectSdk(t, ts.wsUrl, tokens.aliceLaptop, { encoding: enc });
  for (const a of [phone, laptop]) {
    const s = a.c.newSubscription('room');
    s.subscribe();
    await s.ready(2000);
  }
  await waitFor('two joins of alice', () => joins.filter((j) => j.info.user === 'alice').length === 2);
  const aliceJoins = joins.filter((j) => j.info.user === 'alice');
  assert.deepEqual(aliceJoins.map((j) => dataOf<{ device: string }>(j.info.connInfo).device).sort(), ['laptop', 'phone']);
  assert.deepEqual(aliceJoins.map((j) => j.info.client).sort(), [phone.ctx.client, laptop.ctx.client].sort());
  assert.ok(aliceJoins.every((j) => j.channel === 'room'));

  // Presence: one entry per connection, alice twice with the same user id.
  const p = await bob.presence('room');
  const entries = Object.entries(p.clients);
  assert.equal(entries.length, 4);
  for (const [id, e] of entries) assert.equal(e.client, id);
  const seen = entries.map(([, e]) => `${e.user}/${dataOf<{ device: string }>(e.connInfo).device}`).sort();
  assert.deepEqual(seen, ['alice/laptop', 'alice/phone', 'bob/phone', 'bob/tablet']);
  assert.deepEqual(await bob.presenceStats('room'), { numClients: 4, numUsers: 2 });
  // The subscription API gives the same.
  assert.equal(Object.keys((await bobSub.presence()).clients).length, 4);

  // The app backend sees the same presence over HTTP.
  const viaApi = await api(ts, app, 'GET', '/channels/room/presence');
  assert.equal(viaApi.status, 200);
  const apiEntries = Object.values(viaApi.body.presence) as { user: string; client: string; device: string }[];
  assert.deepEqual(apiEntries.map((e) => `${e.user}/${e.device}`).sort(), seen);
  assert.ok(apiEntries.some((e) => e.client === laptop.ctx.client));

  // The laptop goes away: one leave, for that device only.
  laptop.c.disconnect();
  await waitFor('leave of the laptop', () => leaves.length === 1);
  assert.equal(leaves[0]!.info.user, 'alice');
  assert.equal(leaves[0]!.info.client, laptop.ctx.client);
  assert.deepEqual(dataOf(leaves[0]!.info.connInfo), { device: 'laptop' });
  assert.deepEqual(await bob.presenceStats('room'), { numClients: 3, numUsers: 2 });
  const after = Object.values((await bob.presence('room')).clients).map((e) => `${e.user}/${dataOf<{ device: string }>(e.connInfo).device}`).sort();
  assert.deepEqual(after, ['alice/phone', 'bob/phone', 'bob/tablet']);

  // Unsubscribing (while staying connected) is a leave too.
  phone.c.getSubscription('room')!.unsubscribe();
  await waitFor('leave of the phone', () => leaves.length === 2);
  assert.equal(leaves[1]!.info.client, phone.ctx.client);
  assert.deepEqual(await bob.presenceStats('room'), { numClients: 2, numUsers: 1 });

  await sleep(50);
  assert.deepEqual(quietEvents, [], 'no join/leave for a subscriber that did not ask');
});

for (const enc of ENCODINGS) test(`presence refusals: a non-member gets 103, an unknown channel 102; an open channel is readable by all [${enc}]`, { timeout: 20_000 }, async (t) => {
  const { ts, app, tokens } = await setup(t);
  const carol = await sdkClient(t, ts.wsUrl, tokens.carol, { encoding: enc });
  await assert.rejects(carol.presence('room'), (e: any) => e.code === 103);
  await assert.rejects(carol.presenceStats('room'), (e: any) => e.code === 103);
  await assert.rejects(carol.presence('nowhere'), (e: any) => e.code === 102);
  const sub = carol.newSubscription('room', { joinLeave: true });
  const unsubscribed: { code: number }[] = [];
  sub.on('unsubscribed', (u) => unsubscribed.push(u));
  sub.subscribe();
  await assert.rejects(sub.ready(2000));
  assert.equal(unsubscribed[0]?.code, 103, 'nor may she subscribe to watch joins');

  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'lobby', type: 'open' })).status, 201);
  const alice = await sdkClient(t, ts.wsUrl, tokens.alicePhone, { encoding: enc });
  const s = alice.newSubscription('lobby');
  s.subscribe();
  await s.ready(2000);
  const seen = await carol.presence('lobby');
  assert.deepEqual(Object.values(seen.clients).map((e) => e.user), ['alice']);
  assert.deepEqual(await carol.presenceStats('lobby'), { numClients: 1, numUsers: 1 });
  assert.equal((await api(ts, app, 'GET', '/channels/nowhere/presence')).status, 404);
});

test('raw frames: presence entries carry the token info; a bad presence command is 107', { timeout: 20_000 }, async (t) => {
  const { ts, app } = await setup(t);
  const token = await tokenFor(ts, app, 'alice', 'phone', { name: 'Alice A.' });
  const raw = await rawClient(t, ts.wsUrl);
  await raw.call('connect', { token });
  const sub = await raw.call('subscribe', { channel: 'room', join_leave: true });
  assert.ok(sub.subscribe, JSON.stringify(sub));
  const own = await raw.waitFor((m) => m.push?.join);
  assert.equal(own.push.channel, 'room');
  assert.equal(own.push.join.info.user, 'alice');
  const pres = await raw.call('presence', { channel: 'room' });
  const [entry] = Object.values(pres.presence.presence) as any[];
  assert.equal(entry.user, 'alice');
  assert.deepEqual(entry.conn_info, { device: 'phone' });
  assert.deepEqual(entry.chan_info, { name: 'Alice A.' });
  const stats = await raw.call('presence_stats', { channel: 'room' });
  assert.deepEqual(stats.presence_stats, { num_clients: 1, num_users: 1 });
  const bad = await raw.call('presence', { channel: 42 });
  assert.equal(bad.error.code, 107);
});
