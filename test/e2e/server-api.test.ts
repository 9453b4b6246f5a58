// Item 11: the app's backend over HTTP with the app secret (X-API-Key).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublicationContext, ServerPublicationContext, ServerSubscribedContext } from 'centrifuge';
import { startServer } from '../helpers/server.ts';
import { api } from '../helpers/clients.ts';
import { connectSdk, tokenFor, waitFor } from './e2e-kit.ts';

test('publish: subscribers receive it, with the backend or the named sender; the ack comes after storage', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const token = await tokenFor(ts, app, 'bob', 'phone');
  await tokenFor(ts, app, 'alice');
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'news', members: ['bob', 'alice'] })).status, 201);
  const { c } = await connectSdk(t, ts.wsUrl, token);
  const sub = c.newSubscription('news');
  const got: PublicationContext[] = [];
  sub.on('publication', (p) => got.push(p));
  sub.subscribe();
  await sub.ready(2000);

  const r1 = await api(ts, app, 'POST', '/publish', { channel: 'news', event: 'headline', data: { title: 'hello' } });
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  assert.equal(r1.body.channel, 'news');
  assert.equal(r1.body.offset, 1);
  assert.equal(typeof r1.body.epoch, 'string');
  assert.equal(typeof r1.body.id, 'string');
  assert.ok(Math.abs(r1.body.time - Date.now()) < 60_000);
  const r2 = await api(ts, app, 'POST', '/publish', { channel: 'news', data: 'as alice', sender: 'alice', id: 'ext-1' });
  assert.equal(r2.body.offset, 2);
  assert.equal(r2.body.id, 'ext-1');
  // Same client message id: the first result again, nothing stored or delivered twice.
  const again = await api(ts, app, 'POST', '/publish', { channel: 'news', data: 'as alice', sender: 'alice', id: 'ext-1' });
  assert.equal(again.body.offset, 2);

  await waitFor('2 publications', () => got.length >= 2);
  assert.deepEqual(got[0]!.data, { title: 'hello' });
  assert.equal(got[0]!.tags!.event, 'headline');
  assert.equal(got[0]!.tags!.id, r1.body.id);
  assert.equal(got[0]!.info?.user, '', 'the backend publishes as the empty user');
  assert.equal(got[1]!.info?.user, 'alice');
  assert.equal(got[1]!.tags!.event, 'message');
  const hist = await api(ts, app, 'GET', '/channels/news/history');
  assert.deepEqual(hist.body.publications.map((p: any) => p.offset), [1, 2], 'stored once');

  // Failures: unknown channel, too big.
  const missing = await api(ts, app, 'POST', '/publish', { channel: 'nope', data: 1 });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 102);
  const big = await api(ts, app, 'POST', '/publish', { channel: 'news', data: 'x'.repeat(70_000) });
  assert.ok(big.status === 413, `${big.status} ${JSON.stringify(big.body).slice(0, 200)}`);
  assert.equal(big.body.error.code, 106);
});

test('channels and members: create, get, update, add/remove members (live subscriptions follow), delete', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  for (const u of ['alice', 'carol']) await tokenFor(ts, app, u);
  const bobToken = await tokenFor(ts, app, 'bob');
  // Bob is online with server-side subscriptions: membership changes reach his connection.
  const { c } = await connectSdk(t, ts.wsUrl, bobToken, { data: { auto_subscribe: true } });
  const subscribed: ServerSubscribedContext[] = [];
  const unsubscribed: string[] = [];
  const pubs: ServerPublicationContext[] = [];
  c.on('subscribed', (s) => subscribed.push(s));
  c.on('unsubscribed', (u) => unsubscribed.push(u.channel));
  c.on('publication', (p) => pubs.push(p));

  const created = await api(ts, app, 'POST', '/channels', { channel: 'team', members: ['alice'], data: { topic: 'plans' }, owner: 'alice' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.channel, 'team');
  assert.equal(created.body.type, 'members');
  assert.equal(created.body.owner, 'alice');
  assert.deepEqual(created.body.data, { topic: 'plans' });
  assert.equal(created.body.offset, 0);
  assert.deepEqual(created.body.members, ['alice']);
  const dup = await api(ts, app, 'POST', '/channels', { channel: 'team' });
  assert.equal(dup.status, 409);

  const got = await api(ts, app, 'GET', '/channels/team');
  assert.deepEqual({ ...got.body, createdAt: 0 }, { ...created.body, createdAt: 0 });
  const patched = await api(ts, app, 'PATCH', '/channels/team', { data: { topic: 'launch' } });
  assert.equal(patched.status, 200);
  assert.deepEqual(patched.body.data, { topic: 'launch' });

  const added = await api(ts, app, 'POST', '/channels/team/members', { users: ['bob', 'carol', 'alice'] });
  assert.deepEqual(added.body, { added: ['bob', 'carol'] });
  await waitFor('bob subscribed to team', () => subscribed.some((s) => s.channel === 'team'));
  await api(ts, app, 'POST', '/publish', { channel: 'team', data: 'welcome' });
  await waitFor('publication on team', () => pubs.some((p) => p.channel === 'team'));
  const unknown = await api(ts, app, 'POST', '/channels/team/members', { users: ['ghost'] });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.error.code, 107);
  assert.match(unknown.body.error.message, /ghost/);

  const removed = await api(ts, app, 'DELETE', '/channels/team/members', { users: ['bob'] });
  assert.deepEqual(removed.body, { removed: ['bob'] });
  await waitFor('bob unsubscribed from team', () => unsubscribed.includes('team'));
  assert.deepEqual((await api(ts, app, 'GET', '/channels/team')).body.members, ['alice', 'carol']);

  const open = await api(ts, app, 'POST', '/channels', { channel: 'lobby', type: 'open' });
  assert.equal(open.body.type, 'open');
  assert.equal(open.body.owner, null);

  assert.deepEqual((await api(ts, app, 'DELETE', '/channels/team')).body, { deleted: true });
  assert.equal((await api(ts, app, 'GET', '/channels/team')).status, 404);
  assert.equal((await api(ts, app, 'PATCH', '/channels/team', { data: 1 })).body.error.code, 102);
});

test('history, presence, unread, connections and minted tokens', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const minted = await api(ts, app, 'POST', '/tokens', { user: 'dora', device: 'kiosk', info: { name: 'Dora' }, ttlSec: 60 });
  assert.equal(minted.status, 200, JSON.stringify(minted.body));
  assert.equal(minted.body.expiresIn, 60);
  await api(ts, app, 'POST', '/channels', { channel: 'log', members: ['dora'] });
  for (let i = 1; i <= 5; i++) await api(ts, app, 'POST', '/publish', { channel: 'log', data: i });

  const all = await api(ts, app, 'GET', '/channels/log/history');
  assert.deepEqual(all.body.publications.map((p: any) => p.data), [1, 2, 3, 4, 5]);
  assert.equal(all.body.offset, 5);
  assert.deepEqual((await api(ts, app, 'GET', '/channels/log/history?after=3')).body.publications.map((p: any) => p.offset), [4, 5]);
  assert.deepEqual((await api(ts, app, 'GET', '/channels/log/history?before=4&limit=2')).body.publications.map((p: any) => p.offset), [3, 2]);
  assert.deepEqual((await api(ts, app, 'GET', '/channels/log/history?after=1&limit=2')).body.publications.map((p: any) => p.offset), [2, 3]);
  const top = await api(ts, app, 'GET', '/channels/log/history?limit=0');
  assert.deepEqual(top.body.publications, []);
  assert.equal(top.body.offset, 5);
  assert.equal((await api(ts, app, 'GET', '/channels/log/history?after=1&before=3')).status, 400);

  assert.deepEqual((await api(ts, app, 'GET', '/users/dora/unread')).body.channels, [{ channel: 'log', unread: 5, readOffset: 0, offset: 5 }]);

  // The minted token connects as dora on her device; she shows in presence and connections.
  const { c, ctx } = await connectSdk(t, ts.wsUrl, minted.body.token);
  assert.equal((ctx.data as { user: string }).user, 'dora');
  assert.equal((ctx.data as { device: string }).device, 'kiosk');
  const sub = c.newSubscription('log');
  sub.subscribe();
  await sub.ready(2000);
  let pres = await api(ts, app, 'GET', '/channels/log/presence');
  for (let i = 0; i < 50 && Object.keys(pres.body.presence).length === 0; i++) pres = await api(ts, app, 'GET', '/channels/log/presence');
  assert.deepEqual(Object.values(pres.body.presence).map((e: any) => [e.user, e.device, e.client]), [['dora', 'kiosk', ctx.client]]);
  const conns = await api(ts, app, 'GET', '/connections');
  assert.deepEqual(conns.body.connections.map((x: any) => [x.client, x.user, x.device, x.channels]), [[ctx.client, 'dora', 'kiosk', ['log']]]);
  // Dora may read but the token gives her nothing beyond her memberships.
  await assert.rejects(c.rpc('channel.get', { channel: 'elsewhere' }), (e: any) => e.code === 102);
});

test('credentials: a wrong, missing or other app\'s key is 401; validation errors are 400/107 naming the field', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp('one');
  const other = await ts.createApp('two');
  const base = `/v1/apps/${app.id}`;
  const body = { channel: 'x', type: 'open' };
  const calls: [string, string, unknown?][] = [
    ['POST', '/channels', body], ['POST', '/publish', { channel: 'x', data: 1 }], ['POST', '/tokens', { user: 'u' }],
    ['GET', '/channels/x'], ['GET', '/channels/x/history'], ['GET', '/users'], ['GET', '/users/u/unread'], ['GET', '/connections'],
  ];
  for (const [method, path, b] of calls) {
    for (const headers of [{}, { 'x-api-key': 'wrong' }, { 'x-api-key': other.secret }, { 'x-api-key': app.key }] as Record<string, string>[]) {
      const r = await ts.http(method, base + path, b, headers);
      assert.equal(r.status, 401, `${method} ${path} with ${JSON.stringify(headers)}: ${r.status}`);
      assert.equal(r.body.error.code, 101);
    }
  }
  // Another app's channels are invisible even with that app's own secret.
  assert.equal((await api(ts, app, 'POST', '/channels', body)).status, 201);
  assert.equal((await api(ts, other, 'GET', '/channels/x')).status, 404);

  const bad: [string, string, unknown, RegExp][] = [
    ['POST', '/channels', { channel: '' }, /channel/],
    ['POST', '/channels', { channel: 'y', type: 'secret' }, /type/],
    ['POST', '/channels', { channel: 'y', members: [{}] }, /members/],
    ['POST', '/channels', { channel: 'y', colour: 'red' }, /colour/],
    ['POST', '/publish', { data: 1 }, /channel/],
    ['POST', '/publish', { channel: 'x', data: 1, event: '' }, /event/],
    ['POST', '/tokens', { user: 'bad user!' }, /user/],
    ['POST', '/tokens', { user: 'u', ttlSec: 0 }, /ttlSec/],
    ['POST', '/channels/x/members', { users: [''] }, /users/],
  ];
  for (const [method, path, b, field] of bad) {
    const r = await api(ts, app, method, path, b);
    assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(b)}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 107);
    assert.match(r.body.error.message, field, `message names the field: ${r.body.error.message}`);
  }
});
