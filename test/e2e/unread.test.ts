// Item 7: unread counts per user and channel, fetching the unread messages, marking read on all devices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { api, rawClient, sdkClient, userSession } from '../helpers/clients.ts';
import { connectSdk, messagesOf, waitFor, sleep } from './e2e-kit.ts';

test('a user offline while 5 messages arrive sees them as unread, fetches them and marks them read on every device', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await userSession(ts, app, 'alice');
  const bobPhone = await userSession(ts, app, 'bob', 'phone');
  const bobLaptop = await userSession(ts, app, 'bob', 'laptop');
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'] })).status, 201);
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'quiet', members: ['alice', 'bob'] })).status, 201);

  // Bob is offline: alice sends five messages.
  const a = await sdkClient(t, ts.wsUrl, alice.accessToken);
  for (let i = 1; i <= 5; i++) {
    const ack = await a.rpc('publish', { channel: 'room', event: 'chat', data: { n: i } });
    assert.equal(ack.data.offset, i);
  }

  // Own messages are not unread for their sender.
  const aliceCounts = await a.rpc('unread.counts', {});
  assert.deepEqual(aliceCounts.data.channels, [
    { channel: 'quiet', unread: 0, readOffset: 0, offset: 0 },
    { channel: 'room', unread: 0, readOffset: 5, offset: 5 },
  ]);

  // Bob connects asking for unread counts in the connect reply.
  const phone = await connectSdk(t, ts.wsUrl, bobPhone.accessToken, { data: { unread: true } });
  assert.deepEqual(phone.ctx.data, { user: 'bob', device: 'phone', node: ts.server.nodeId, unread: { quiet: 0, room: 5 } });
  // Without the flag the reply carries no counts.
  const laptop = await connectSdk(t, ts.wsUrl, bobLaptop.accessToken);
  assert.equal((laptop.ctx.data as { unread?: unknown }).unread, undefined);

  const counts = await phone.c.rpc('unread.counts', {});
  assert.deepEqual(counts.data.channels, [
    { channel: 'quiet', unread: 0, readOffset: 0, offset: 0 },
    { channel: 'room', unread: 5, readOffset: 0, offset: 5 },
  ]);
  const viaApi = await api(ts, app, 'GET', '/users/bob/unread');
  assert.equal(viaApi.status, 200);
  assert.deepEqual(viaApi.body.channels, counts.data.channels);

  // The unread messages, oldest first, with sender and sequence numbers.
  const fetched = await phone.c.rpc('unread.fetch', { channel: 'room' });
  assert.equal(fetched.data.readOffset, 0);
  assert.equal(fetched.data.offset, 5);
  assert.equal(typeof fetched.data.epoch, 'string');
  assert.deepEqual(fetched.data.publications.map((p: any) => p.offset), [1, 2, 3, 4, 5]);
  assert.deepEqual(fetched.data.publications.map((p: any) => p.data), [1, 2, 3, 4, 5].map((n) => ({ n })));
  assert.ok(fetched.data.publications.every((p: any) => p.info.user === 'alice' && p.tags.event === 'chat'));
  const limited = await phone.c.rpc('unread.fetch', { channel: 'room', limit: 2 });
  assert.deepEqual(limited.data.publications.map((p: any) => p.offset), [1, 2]);

  // Marking read on the phone: both of bob's devices are told the new count; alice is not.
  const phoneMsgs = messagesOf(phone.c);
  const laptopMsgs = messagesOf(laptop.c);
  const aliceMsgs = messagesOf(a);
  const marked = await phone.c.rpc('read.mark', { channel: 'room', offset: 3 });
  assert.deepEqual(marked.data, { channel: 'room', readOffset: 3, unread: 2 });
  const pushed = { type: 'read', channel: 'room', readOffset: 3, unread: 2 };
  await waitFor('read push on both devices', () => phoneMsgs.length >= 1 && laptopMsgs.length >= 1);
  assert.deepEqual(phoneMsgs, [pushed]);
  assert.deepEqual(laptopMsgs, [pushed]);

  const after = await laptop.c.rpc('unread.fetch', { channel: 'room' });
  assert.equal(after.data.readOffset, 3);
  assert.deepEqual(after.data.publications.map((p: any) => p.offset), [4, 5]);

  // Marking backwards does nothing.
  const back = await laptop.c.rpc('read.mark', { channel: 'room', offset: 1 });
  assert.deepEqual(back.data, { channel: 'room', readOffset: 3, unread: 2 });
  assert.equal((await api(ts, app, 'GET', '/users/bob/unread')).body.channels.find((c: any) => c.channel === 'room').unread, 2);

  // Past the top clamps to the top; no offset means "everything".
  const all = await laptop.c.rpc('read.mark', { channel: 'room' });
  assert.deepEqual(all.data, { channel: 'room', readOffset: 5, unread: 0 });
  await waitFor('second read push', () => phoneMsgs.some((m: any) => m.readOffset === 5));
  const none = await phone.c.rpc('unread.fetch', { channel: 'room' });
  assert.deepEqual(none.data.publications, []);
  const far = await phone.c.rpc('read.mark', { channel: 'room', offset: 99 });
  assert.deepEqual(far.data, { channel: 'room', readOffset: 5, unread: 0 });

  // A new message is unread again for bob, not for its sender.
  await a.rpc('publish', { channel: 'room', data: { n: 6 } });
  const again = await api(ts, app, 'GET', '/users/bob/unread');
  assert.deepEqual(again.body.channels.find((c: any) => c.channel === 'room'), { channel: 'room', unread: 1, readOffset: 5, offset: 6 });
  const aliceAgain = await api(ts, app, 'GET', '/users/alice/unread');
  assert.equal(aliceAgain.body.channels.find((c: any) => c.channel === 'room').unread, 0);
  await sleep(50);
  assert.equal(aliceMsgs.filter((m: any) => m.type === 'read').length, 0, 'read pushes go only to the reader');
});

test('the unread count reaches the connect reply over raw frames too, per channel', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await userSession(ts, app, 'alice');
  const bob = await userSession(ts, app, 'bob');
  await api(ts, app, 'POST', '/channels', { channel: 'a', members: ['alice', 'bob'] });
  await api(ts, app, 'POST', '/channels', { channel: 'b', members: ['alice', 'bob'] });
  for (let i = 0; i < 3; i++) await api(ts, app, 'POST', '/publish', { channel: 'a', data: i, sender: 'alice' });
  await api(ts, app, 'POST', '/publish', { channel: 'b', data: 'x', sender: 'alice' });
  const raw = await rawClient(t, ts.wsUrl);
  const r = await raw.call('connect', { token: bob.accessToken, data: { unread: true } });
  assert.deepEqual(r.connect.data.unread, { a: 3, b: 1 });
});

test('unread refusals: a non-member cannot fetch or mark; bad payloads are 107', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await userSession(ts, app, 'alice');
  const carol = await userSession(ts, app, 'carol');
  await api(ts, app, 'POST', '/channels', { channel: 'private', members: ['alice'] });
  await api(ts, app, 'POST', '/publish', { channel: 'private', data: 'secret', sender: 'alice' });
  const c = await sdkClient(t, ts.wsUrl, carol.accessToken);
  await assert.rejects(c.rpc('unread.fetch', { channel: 'private' }), (e: any) => e.code === 103);
  await assert.rejects(c.rpc('read.mark', { channel: 'private' }), (e: any) => e.code === 103);
  await assert.rejects(c.rpc('unread.fetch', { channel: 'missing' }), (e: any) => e.code === 102);
  await assert.rejects(c.rpc('read.mark', { channel: 'private', offset: -1 }), (e: any) => e.code === 107 && /offset/.test(e.message));
  await assert.rejects(c.rpc('unread.fetch', {}), (e: any) => e.code === 107 && /channel/.test(e.message));
  // Carol is in no channel: nothing is unread, and the server API agrees.
  assert.deepEqual((await c.rpc('unread.counts', {})).data.channels, []);
  assert.deepEqual((await api(ts, app, 'GET', '/users/carol/unread')).body.channels, []);
});
