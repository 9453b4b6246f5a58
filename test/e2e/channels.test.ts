// Item 4 — channels: management over socket RPC and over the server API, open vs members
// channels, permissions, and server-side unsubscribe of a removed member.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient, type RawClient } from '../helpers/clients.ts';

type T = Parameters<typeof rawClient>[0];

/** Connects a user (created by the app backend) on a raw socket. */
async function as(t: T, ts: TestServer, app: TestApp, user: string, connectData?: object): Promise<RawClient> {
  const tok = await api(ts, app, 'POST', '/tokens', { user, device: 'dev-' + user });
  assert.equal(tok.status, 200, JSON.stringify(tok.body));
  const c = await rawClient(t, ts.wsUrl);
  const r = await c.call('connect', { token: tok.body.token, ...(connectData ? { data: connectData } : {}) });
  assert.ok(r.connect, JSON.stringify(r));
  return c;
}

/** rpc → result data, or throws with the error code in the message. */
async function rpc(c: RawClient, method: string, data: unknown): Promise<any> {
  const r = await c.call('rpc', { method, data });
  if (r.error) throw Object.assign(new Error(`${method}: ${r.error.code} ${r.error.message}`), { code: r.error.code });
  return r.rpc.data;
}
const code = (n: number) => (e: any) => e.code === n;

test('channel lifecycle over socket RPC: create, list, get, update, members, leave, delete', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await as(t, ts, app, 'alice');
  const bob = await as(t, ts, app, 'bob');
  const carol = await as(t, ts, app, 'carol');

  const created = await rpc(alice, 'channel.create', { channel: 'team', members: ['bob'], data: { topic: 'plans' } });
  assert.equal(created.channel, 'team');
  assert.equal(created.type, 'members');
  assert.equal(created.owner, 'alice');
  assert.deepEqual(created.data, { topic: 'plans' });
  assert.deepEqual([...created.members].sort(), ['alice', 'bob']);
  assert.equal(created.offset, 0);
  assert.equal(typeof created.epoch, 'string');
  assert.equal(typeof created.createdAt, 'number');
  await assert.rejects(rpc(bob, 'channel.create', { channel: 'team' }), code(409));
  await assert.rejects(rpc(alice, 'channel.create', { channel: 'x', members: ['ghost'] }), code(107));
  await assert.rejects(rpc(alice, 'channel.create', { channel: 'x', type: 'secret' }), code(107));

  const listA = await rpc(alice, 'channel.list', {});
  assert.deepEqual(listA.channels.map((c: { channel: string }) => c.channel), ['team']);
  assert.equal(listA.channels[0].unread, 0);
  assert.equal(listA.channels[0].readOffset, 0);
  assert.deepEqual((await rpc(bob, 'channel.list', {})).channels.map((c: { channel: string }) => c.channel), ['team']);
  assert.deepEqual((await rpc(carol, 'channel.list', {})).channels, []);

  const got = await rpc(bob, 'channel.get', { channel: 'team' });
  assert.equal(got.owner, 'alice');
  assert.deepEqual([...got.members].sort(), ['alice', 'bob']);
  await assert.rejects(rpc(carol, 'channel.get', { channel: 'team' }), code(103));

  // Only the owner may update or edit members.
  const upd = await rpc(alice, 'channel.update', { channel: 'team', data: { topic: 'launch' } });
  assert.deepEqual(upd.data, { topic: 'launch' });
  await assert.rejects(rpc(bob, 'channel.update', { channel: 'team', data: { topic: 'mine' } }), code(103));
  assert.deepEqual((await rpc(bob, 'channel.get', { channel: 'team' })).data, { topic: 'launch' });

  assert.deepEqual(await rpc(alice, 'channel.members.add', { channel: 'team', users: ['carol', 'carol'] }), { added: ['carol'] });
  assert.deepEqual(await rpc(alice, 'channel.members.add', { channel: 'team', users: ['carol'] }), { added: [] });
  await assert.rejects(rpc(bob, 'channel.members.add', { channel: 'team', users: ['dave'] }), code(103));
  await assert.rejects(rpc(alice, 'channel.members.add', { channel: 'team', users: ['ghost'] }), code(107));
  assert.deepEqual([...(await rpc(carol, 'channel.members', { channel: 'team' })).members].sort(), ['alice', 'bob', 'carol']);
  await assert.rejects(rpc(bob, 'channel.members.remove', { channel: 'team', users: ['carol'] }), code(103));
  assert.deepEqual(await rpc(alice, 'channel.members.remove', { channel: 'team', users: ['carol'] }), { removed: ['carol'] });
  await assert.rejects(rpc(carol, 'channel.members', { channel: 'team' }), code(103));

  assert.deepEqual(await rpc(bob, 'channel.leave', { channel: 'team' }), { left: true });
  assert.deepEqual((await rpc(bob, 'channel.list', {})).channels, []);
  await assert.rejects(rpc(bob, 'channel.leave', { channel: 'team' }), code(107));
  await assert.rejects(rpc(bob, 'channel.get', { channel: 'team' }), code(103));

  await assert.rejects(rpc(bob, 'channel.delete', { channel: 'team' }), code(103));
  assert.deepEqual(await rpc(alice, 'channel.delete', { channel: 'team' }), { deleted: true });
  await assert.rejects(rpc(alice, 'channel.get', { channel: 'team' }), code(102));
  assert.deepEqual((await rpc(alice, 'channel.list', {})).channels, []);
  // The name is free again, with a new stream.
  const again = await rpc(alice, 'channel.create', { channel: 'team' });
  assert.equal(again.offset, 0);
});

test('channel management over the server API (app secret)', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  for (const u of ['alice', 'bob', 'carol']) await api(ts, app, 'POST', '/tokens', { user: u });

  const c = await api(ts, app, 'POST', '/channels', { channel: 'news', members: ['alice', 'bob'], data: { v: 1 }, owner: 'alice' });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  assert.equal(c.body.owner, 'alice');
  assert.deepEqual([...c.body.members].sort(), ['alice', 'bob']);
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'news' })).status, 409);
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'bad', members: ['ghost'] })).status, 400);
  const noOwner = await api(ts, app, 'POST', '/channels', { channel: 'ownerless', type: 'open' });
  assert.equal(noOwner.body.owner, null);

  const got = await api(ts, app, 'GET', '/channels/news');
  assert.equal(got.status, 200);
  assert.deepEqual(got.body.data, { v: 1 });
  const patched = await api(ts, app, 'PATCH', '/channels/news', { data: { v: 2 } });
  assert.equal(patched.status, 200);
  assert.deepEqual(patched.body.data, { v: 2 });
  const add = await api(ts, app, 'POST', '/channels/news/members', { users: ['carol'] });
  assert.deepEqual(add.body, { added: ['carol'] });
  const rm = await api(ts, app, 'DELETE', '/channels/news/members', { users: ['bob'] });
  assert.deepEqual(rm.body, { removed: ['bob'] });
  assert.deepEqual([...(await api(ts, app, 'GET', '/channels/news')).body.members].sort(), ['alice', 'carol']);

  // What the backend did is what the users see.
  const carol = await as(t, ts, app, 'carol');
  assert.deepEqual((await rpc(carol, 'channel.get', { channel: 'news' })).data, { v: 2 });
  const bob = await as(t, ts, app, 'bob');
  await assert.rejects(rpc(bob, 'channel.get', { channel: 'news' }), code(103));

  const unknown = await api(ts, app, 'GET', '/channels/nope');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 102);
  assert.equal((await api(ts, app, 'PATCH', '/channels/nope', { data: 1 })).body.error.code, 102);
  assert.equal((await api(ts, app, 'DELETE', '/channels/nope')).body.error.code, 102);

  const del = await api(ts, app, 'DELETE', '/channels/news');
  assert.deepEqual(del.body, { deleted: true });
  assert.equal((await api(ts, app, 'GET', '/channels/news')).status, 404);
  // Without the secret: nothing.
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/channels`, { channel: 'x' }, { 'x-api-key': app.key })).status, 401);
});

test('open channel: any user of the app may subscribe, publish, read history and join', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await as(t, ts, app, 'alice');
  const stranger = await as(t, ts, app, 'stranger');
  const lobby = await rpc(alice, 'channel.create', { channel: 'lobby', type: 'open' });
  assert.equal(lobby.type, 'open');
  assert.equal(lobby.members, undefined, 'open channels show no member list');

  const sub = await stranger.call('subscribe', { channel: 'lobby' });
  assert.ok(sub.subscribe, JSON.stringify(sub));
  const pub = await stranger.call('publish', { channel: 'lobby', data: { hi: 1 } });
  assert.equal(pub.publish?.offset, 1, JSON.stringify(pub));
  const h = await stranger.call('history', { channel: 'lobby', limit: 10 });
  assert.equal(h.history.publications.length, 1);
  assert.ok((await stranger.call('presence', { channel: 'lobby' })).presence);
  assert.ok((await rpc(stranger, 'channel.get', { channel: 'lobby' })).channel === 'lobby');

  assert.deepEqual((await rpc(stranger, 'channel.list', {})).channels, []);
  const joined = await rpc(stranger, 'channel.join', { channel: 'lobby' });
  assert.equal(joined.channel, 'lobby');
  const listed = (await rpc(stranger, 'channel.list', {})).channels;
  assert.deepEqual(listed.map((c: { channel: string }) => c.channel), ['lobby']);
  assert.deepEqual(await rpc(stranger, 'channel.leave', { channel: 'lobby' }), { left: true });
  // Open channels have no member list to edit; members channels are not joinable.
  await assert.rejects(rpc(alice, 'channel.members.add', { channel: 'lobby', users: ['stranger'] }), code(107));
  await rpc(alice, 'channel.create', { channel: 'private' });
  await assert.rejects(rpc(stranger, 'channel.join', { channel: 'private' }), code(103));
  // Another app's user cannot see it at all.
  const other = await ts.createApp('other');
  const outsider = await as(t, ts, other, 'stranger');
  assert.equal((await outsider.call('subscribe', { channel: 'lobby' })).error?.code, 102);
});

test('members channel: non-members get 103 on subscribe, publish, history, presence; unknown channel 102', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await as(t, ts, app, 'alice');
  const eve = await as(t, ts, app, 'eve');
  await rpc(alice, 'channel.create', { channel: 'secret' });
  assert.equal((await alice.call('publish', { channel: 'secret', data: 'x' })).publish.offset, 1);

  const denied: [string, object][] = [
    ['subscribe', { channel: 'secret' }],
    ['publish', { channel: 'secret', data: 'spam' }],
    ['history', { channel: 'secret', limit: 10 }],
    ['presence', { channel: 'secret' }],
    ['presence_stats', { channel: 'secret' }],
  ];
  for (const [cmd, body] of denied) {
    const r = await eve.call(cmd, body);
    assert.equal(r.error?.code, 103, `${cmd}: ${JSON.stringify(r)}`);
    const u = await eve.call(cmd, { ...body, channel: 'no-such-channel' });
    assert.equal(u.error?.code, 102, `${cmd} unknown: ${JSON.stringify(u)}`);
  }
  await assert.rejects(rpc(eve, 'publish', { channel: 'secret', event: 'x', data: 1 }), code(103));
  await assert.rejects(rpc(eve, 'unread.fetch', { channel: 'secret' }), code(103));
  await assert.rejects(rpc(eve, 'read.mark', { channel: 'secret' }), code(103));
  await assert.rejects(rpc(eve, 'channel.get', { channel: 'no-such-channel' }), code(102));
  // Nothing eve sent was stored.
  const h = await api(ts, app, 'GET', '/channels/secret/history');
  assert.equal(h.body.offset, 1);
  assert.equal(h.body.publications.length, 1);
});

test('a member removed while subscribed gets push unsubscribe 2000 and loses access', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await as(t, ts, app, 'alice');
  const bob = await as(t, ts, app, 'bob');
  await rpc(alice, 'channel.create', { channel: 'team', members: ['bob'] });
  assert.ok((await bob.call('subscribe', { channel: 'team' })).subscribe);
  await alice.call('publish', { channel: 'team', data: 1 });
  await bob.waitFor((m) => m.push?.pub?.offset === 1);

  await rpc(alice, 'channel.members.remove', { channel: 'team', users: ['bob'] });
  const push = await bob.waitFor((m) => m.push?.unsubscribe);
  assert.equal(push.push.channel, 'team');
  assert.equal(push.push.unsubscribe.code, 2000);

  await alice.call('publish', { channel: 'team', data: 2 });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(bob.received.some((m) => m.push?.pub?.offset === 2), false, 'no delivery after removal');
  assert.equal((await bob.call('publish', { channel: 'team', data: 'x' })).error?.code, 103);
  assert.equal((await bob.call('subscribe', { channel: 'team' })).error?.code, 103);
  const conns = (await api(ts, app, 'GET', '/connections')).body.connections;
  assert.deepEqual(conns.find((c: { user: string }) => c.user === 'bob').channels, []);
});

test('deleting a channel unsubscribes its subscribers (2000); a removed member via the server API too', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await as(t, ts, app, 'alice');
  const bob = await as(t, ts, app, 'bob');
  await rpc(alice, 'channel.create', { channel: 'a', members: ['bob'] });
  await rpc(alice, 'channel.create', { channel: 'b', members: ['bob'] });
  await bob.call('subscribe', { channel: 'a' });
  await bob.call('subscribe', { channel: 'b' });
  await rpc(alice, 'channel.delete', { channel: 'a' });
  const ua = await bob.waitFor((m) => m.push?.unsubscribe && m.push.channel === 'a');
  assert.equal(ua.push.unsubscribe.code, 2000);
  await api(ts, app, 'DELETE', '/channels/b/members', { users: ['bob'] });
  const ub = await bob.waitFor((m) => m.push?.unsubscribe && m.push.channel === 'b');
  assert.equal(ub.push.unsubscribe.code, 2000);
});

test('auto_subscribe: a connection is subscribed to its channels and to channels it is added to', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await as(t, ts, app, 'alice');
  await as(t, ts, app, 'bob');
  await rpc(alice, 'channel.create', { channel: 'first', members: ['bob'] });
  const tok = (await api(ts, app, 'POST', '/tokens', { user: 'bob', device: 'tablet' })).body.token;
  const bob = await rawClient(t, ts.wsUrl);
  const r = await bob.call('connect', { token: tok, data: { auto_subscribe: true } });
  assert.deepEqual(Object.keys(r.connect.subs), ['first']);

  await rpc(alice, 'channel.create', { channel: 'second' });
  await rpc(alice, 'channel.members.add', { channel: 'second', users: ['bob'] });
  const push = await bob.waitFor((m) => m.push?.subscribe && m.push.channel === 'second');
  assert.equal(push.push.subscribe.epoch !== undefined, true);
  await alice.call('publish', { channel: 'second', data: 'hello' });
  const pub = await bob.waitFor((m) => m.push?.pub && m.push.channel === 'second');
  assert.equal(pub.push.pub.data, 'hello');
});
