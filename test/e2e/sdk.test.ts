// XPush SDK against a real server: chat between two users on several devices, history, unread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { XPushError } from '../../src/client/index.ts';
import { client, loggedIn, offsetsOf, PASSWORD, range, sleep, waitFor } from './sdk-kit.ts';

test('two users on two devices chat; every device gets every message once, in order', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alicePhone = await loggedIn(t, srv, app, 'alice', 'phone');
  const aliceLaptop = await loggedIn(t, srv, app, 'alice', 'laptop');
  const bob = await loggedIn(t, srv, app, 'bob', 'phone');

  // Created after everyone connected: the server subscribes all their connections to it.
  const view = await alicePhone.xp.createChannel('room', { members: ['bob'], data: { title: 'Room' } });
  assert.equal(view.channel, 'room');
  assert.equal(view.type, 'members');
  for (const r of [alicePhone, aliceLaptop, bob]) {
    await waitFor('subscribed to room', () => r.events.some((e) => e.name === 'subscribed' && e.args[0] === 'room'));
  }

  const ack = await bob.xp.send('room', 'chat', { text: 'hi alice' });
  assert.equal(ack.offset, 1);
  assert.equal(ack.channel, 'room');
  assert.equal(typeof ack.id, 'string');
  await alicePhone.xp.send('room', 'chat', { text: 'hi bob' }, { id: 'm-2' });
  await aliceLaptop.xp.send('room', 'typing', null);

  for (const r of [alicePhone, aliceLaptop, bob]) {
    await waitFor('3 messages', () => offsetsOf(r.messages, 'room').length >= 3);
    assert.deepEqual(offsetsOf(r.messages, 'room'), [1, 2, 3]);
  }
  const [m1, m2, m3] = aliceLaptop.messages;
  assert.equal(m1.event, 'chat');
  assert.deepEqual(m1.data, { text: 'hi alice' });
  assert.equal(m1.meta.user, 'bob');
  assert.equal(m1.meta.device, 'phone');
  assert.equal(m1.meta.id, ack.id);
  assert.equal(typeof m1.meta.client, 'string');
  assert.ok(m1.meta.time! > Date.now() - 60_000 && m1.meta.time! <= Date.now() + 1000, `time ${m1.meta.time}`);
  assert.equal(m2.meta.id, 'm-2');
  assert.equal(m2.meta.user, 'alice');
  assert.equal(m3.event, 'typing');
  assert.equal(m3.meta.device, 'laptop');

  // Same id again: the first ack, nothing stored twice.
  const again = await alicePhone.xp.send('room', 'chat', { text: 'hi bob' }, { id: 'm-2' });
  assert.equal(again.offset, 2);
  await sleep(200);
  assert.deepEqual(offsetsOf(bob.messages, 'room'), [1, 2, 3]);

  // Channel ops over rpc.
  assert.deepEqual((await bob.xp.members('room')).sort(), ['alice', 'bob']);
  const got = await bob.xp.getChannel('room');
  assert.deepEqual(got.data, { title: 'Room' });
  assert.equal(got.offset, 3);
  const listed = await bob.xp.listChannels();
  assert.deepEqual(listed.map((c) => c.channel), ['room']);
  const presence = await alicePhone.xp.presence('room');
  assert.deepEqual(presence.map((p) => `${p.user}/${p.device}`).sort(), ['alice/laptop', 'alice/phone', 'bob/phone']);
});

test('send failures: non-member, unknown channel, unknown rpc method', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  const carol = await loggedIn(t, srv, app, 'carol', 'phone');
  await alice.xp.createChannel('private');
  await assert.rejects(carol.xp.send('private', 'chat', 'x'), (e: XPushError) => e instanceof XPushError && e.code === 103);
  await assert.rejects(carol.xp.send('nope', 'chat', 'x'), (e: XPushError) => e.code === 102);
  await assert.rejects(carol.xp.rpc('no.such.method', {}), (e: XPushError) => e.code === 104);
  await assert.rejects(carol.xp.updateChannel('private', { x: 1 }), (e: XPushError) => e.code === 103);
});

test('history: newest, before, after', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  await alice.xp.createChannel('log');
  for (let i = 1; i <= 5; i++) await alice.xp.send('log', 'line', { i });

  const newest = await alice.xp.history('log', { limit: 3 });
  assert.deepEqual(newest.messages.map((m) => m.meta.offset), [5, 4, 3]);
  assert.equal(newest.offset, 5);
  assert.equal(typeof newest.epoch, 'string');
  assert.deepEqual(newest.messages[0].data, { i: 5 });
  assert.equal(newest.messages[0].event, 'line');
  assert.equal(newest.messages[0].meta.user, 'alice');

  const older = await alice.xp.history('log', { before: 3, limit: 10 });
  assert.deepEqual(older.messages.map((m) => m.meta.offset), [2, 1]);
  const newer = await alice.xp.history('log', { after: 2, limit: 2 });
  assert.deepEqual(newer.messages.map((m) => m.meta.offset), [3, 4]);
});

test('unread after being offline; markRead on one device is seen on the other', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  const bobLaptop = await loggedIn(t, srv, app, 'bob', 'laptop');
  await alice.xp.createChannel('dm', { members: ['bob'] });
  await waitFor('laptop subscribed', () => bobLaptop.events.some((e) => e.name === 'subscribed' && e.args[0] === 'dm'));

  // bob's phone is offline while alice writes.
  for (let i = 1; i <= 3; i++) await alice.xp.send('dm', 'chat', { i });
  const bobPhone = client(t, srv, app);
  await bobPhone.xp.login('bob', PASSWORD, 'phone');
  const info = await bobPhone.xp.connect();
  assert.equal(info.user, 'bob');
  assert.equal(info.device, 'phone');
  assert.equal(info.unread.dm, 3);
  assert.equal(bobPhone.xp.unreadCounts.dm, 3);
  assert.deepEqual((await bobPhone.xp.unread()).map((u) => [u.channel, u.unread, u.readOffset, u.offset]), [['dm', 3, 0, 3]]);

  const pending = await bobPhone.xp.fetchUnread('dm');
  assert.deepEqual(pending.messages.map((m) => [m.meta.offset, m.data]), [[1, { i: 1 }], [2, { i: 2 }], [3, { i: 3 }]]);
  assert.equal(pending.messages[0].meta.user, 'alice');
  assert.equal(pending.readOffset, 0);

  const marked = await bobPhone.xp.markRead('dm', 2);
  assert.deepEqual(marked, { channel: 'dm', readOffset: 2, unread: 1 });
  const read = await waitFor('read event on the laptop', () => bobLaptop.events.find((e) => e.name === 'read'));
  assert.deepEqual(read.args, ['dm', { readOffset: 2, unread: 1 }]);
  assert.equal(bobLaptop.xp.unreadCounts.dm, 1);
  await bobLaptop.xp.markRead('dm');
  await waitFor('read to the newest on the phone', () => bobPhone.events.some((e) => e.name === 'read' && (e.args[1] as { unread: number }).unread === 0));
  assert.equal(bobPhone.xp.unreadCounts.dm, 0);
  // Nothing arrived live on the phone: those messages were sent before it connected.
  assert.deepEqual(offsetsOf(bobPhone.messages, 'dm'), []);
  assert.deepEqual(offsetsOf(bobLaptop.messages, 'dm'), range(1, 3));
});

test('members added later are subscribed; removed ones stop receiving', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  const dave = await loggedIn(t, srv, app, 'dave', 'phone');
  await alice.xp.createChannel('team');
  await alice.xp.send('team', 'chat', 'before dave');
  assert.deepEqual(await alice.xp.addMembers('team', ['dave']), ['dave']);
  await waitFor('dave subscribed', () => dave.events.some((e) => e.name === 'subscribed' && e.args[0] === 'team'));
  await alice.xp.send('team', 'chat', 'welcome dave');
  await waitFor('dave gets the welcome', () => dave.messages.length === 1);
  assert.equal(dave.messages[0].meta.offset, 2);

  assert.deepEqual(await alice.xp.removeMembers('team', ['dave']), ['dave']);
  await waitFor('dave unsubscribed', () => dave.events.some((e) => e.name === 'unsubscribed' && e.args[0] === 'team'));
  await alice.xp.send('team', 'chat', 'dave is gone');
  await sleep(200);
  assert.equal(dave.messages.length, 1);
});

test('join and leave of other devices', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  await loggedIn(t, srv, app, 'bob', 'phone');
  await alice.xp.createChannel('room', { members: ['bob'] });
  await waitFor('subscribed', () => alice.events.some((e) => e.name === 'subscribed' && e.args[0] === 'room'));
  const tablet = await loggedIn(t, srv, app, 'bob', 'tablet');
  const isTablet = (name: string) => (e: { name: string; args: unknown[] }) =>
    e.name === name && e.args[0] === 'room' && (e.args[1] as { device?: string }).device === 'tablet';
  const join = await waitFor('join', () => alice.events.find(isTablet('join')));
  assert.deepEqual(join.args[1], { user: 'bob', device: 'tablet', client: tablet.xp.client });
  tablet.xp.disconnect();
  await waitFor('leave', () => alice.events.find(isTablet('leave')), 10_000);
});

test('users, groups and a custom service command', async (t) => {
  const srv = await startServer(t);
  srv.server.command('echo', ({ user, device, data }) => ({ user, device, data }));
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  await loggedIn(t, srv, app, 'albert', 'phone');
  await loggedIn(t, srv, app, 'bob', 'phone');

  assert.deepEqual(await alice.xp.rpc('echo', { x: 1 }), { user: 'alice', device: 'phone', data: { x: 1 } });

  await alice.xp.users.update({ name: 'Alice' });
  // Her own entry carries her private profile too (docs/security.md "Profiles").
  assert.deepEqual(await alice.xp.users.get('alice'), { user: 'alice', profile: { name: 'Alice' }, privateProfile: {} });
  const found = await alice.xp.users.search({ prefix: 'al' });
  assert.deepEqual(found.users.map((u) => u.user).sort(), ['albert', 'alice']);

  assert.deepEqual(await alice.xp.groupAdd('friends', ['bob', 'albert']), ['bob', 'albert']);
  assert.deepEqual((await alice.xp.groupMembers('friends')).sort(), ['albert', 'bob']);
  assert.deepEqual(await alice.xp.groupList(), [{ group: 'friends', size: 2 }]);
  assert.deepEqual(await alice.xp.groupRemove('friends', ['albert']), ['albert']);
  assert.deepEqual(await alice.xp.groupMembers('friends'), ['bob']);
});

test('open channels: join to receive, leave to stop', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  const bob = await loggedIn(t, srv, app, 'bob', 'phone');
  await alice.xp.createChannel('lobby', { type: 'open' });
  const joined = await bob.xp.joinChannel('lobby');
  assert.equal(joined.type, 'open');
  await waitFor('bob subscribed', () => bob.events.some((e) => e.name === 'subscribed' && e.args[0] === 'lobby'));
  await alice.xp.send('lobby', 'chat', 'hello lobby');
  await waitFor('bob got it', () => bob.messages.length === 1);
  await bob.xp.leaveChannel('lobby');
  await waitFor('bob unsubscribed', () => bob.events.some((e) => e.name === 'unsubscribed' && e.args[0] === 'lobby'));
  await alice.xp.send('lobby', 'chat', 'bye');
  await sleep(200);
  assert.equal(bob.messages.length, 1);
  await alice.xp.deleteChannel('lobby');
  await assert.rejects(alice.xp.getChannel('lobby'), (e: XPushError) => e.code === 102);
});
