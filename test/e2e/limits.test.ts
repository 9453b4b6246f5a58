// Issue 11, item 5: limits per app (config defaults, overrides through the admin API), each end to
// end with a real client and its clear code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Centrifuge } from 'centrifuge';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, newCentrifuge, rawClient } from '../helpers/clients.ts';
import { closesOf } from '../helpers/closes.ts';
import { connectSdk, sleep, tokenFor, waitFor } from './e2e-kit.ts';
import type { ConfigInput } from '../../src/config.ts';

const admin = (ts: TestServer) => ({ authorization: `Bearer ${ts.adminToken}` });

async function setup(t: Parameters<typeof startServer>[0], limits: Record<string, number> = {}, config: ConfigInput = {}) {
  const ts = await startServer(t, config);
  const app = await ts.createApp();
  if (Object.keys(limits).length) {
    const r = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { limits }, admin(ts));
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  return { ts, app };
}

/** A centrifuge-js client that is left to connect (or fail) on its own. */
function start(t: { after(fn: () => unknown): void }, ts: TestServer, token: string): Centrifuge {
  const c = newCentrifuge(ts.wsUrl, token, {}, 300);
  t.after(() => c.disconnect());
  c.connect();
  return c;
}

test('admin API: limits come from the config, an app overrides them, null drops an override; bad values are refused', async (t) => {
  const { ts, app } = await setup(t, {}, { maxConnectionsPerUser: 7, maxMessageBytes: 50_000 });
  const get = async () => (await ts.http('GET', `/v1/admin/apps/${app.id}/limits`, undefined, admin(ts))).body;
  const before = await get();
  assert.equal(before.limits.maxConnectionsPerUser, 7);
  assert.equal(before.limits.maxMessageBytes, 50_000);
  assert.equal(before.limits.maxChannelsPerConnection, 128);
  assert.equal(before.limits.publishesPerChannelPerSecond, 0);
  assert.deepEqual(before.overrides, {});

  const p = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { limits: { maxConnectionsPerUser: 2, maxMembersPerChannel: 1000 } }, admin(ts));
  assert.deepEqual(p.body.settings.limits, { maxConnectionsPerUser: 2, maxMembersPerChannel: 1000 });
  assert.equal(p.body.settings.userListing, false, 'other settings stay');
  await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { limits: { maxPresenceSize: 5 } }, admin(ts));
  const mid = await get();
  assert.deepEqual(mid.overrides, { maxConnectionsPerUser: 2, maxMembersPerChannel: 1000, maxPresenceSize: 5 }, 'merged field by field');
  assert.equal(mid.limits.maxConnectionsPerUser, 2);
  assert.equal(mid.limits.maxMessageBytes, 50_000);
  await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { limits: { maxConnectionsPerUser: null } }, admin(ts));
  const after = await get();
  assert.equal(after.limits.maxConnectionsPerUser, 7, 'back to the config default');
  assert.deepEqual(after.overrides, { maxMembersPerChannel: 1000, maxPresenceSize: 5 });

  for (const bad of [{ maxConnectionsPerUser: -1 }, { maxConnectionsPerUser: 1.5 }, { nope: 1 }, { maxChannelsPerConnection: 0 }, { maxMessageBytes: 300_000 }, { maxMessageBytes: 'big' }]) {
    const r = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { limits: bad }, admin(ts));
    assert.equal(r.status, 400, `${JSON.stringify(bad)} → ${r.status} ${JSON.stringify(r.body)}`);
  }
  assert.deepEqual((await get()).overrides, { maxMembersPerChannel: 1000, maxPresenceSize: 5 }, 'refused patches change nothing');
  const created = await ts.http('POST', '/v1/admin/apps', { name: 'x', settings: { limits: { maxConnectionsPerApp: 3 } } }, admin(ts));
  assert.equal(created.status, 201);
  assert.deepEqual(created.body.settings.limits, { maxConnectionsPerApp: 3 });
  assert.equal((await ts.http('POST', '/v1/admin/apps', { name: 'y', settings: { limits: { maxChannelsPerConnection: 0 } } }, admin(ts))).status, 400);
  assert.equal((await ts.http('GET', `/v1/admin/apps/${app.id}/limits`)).status, 401);
  assert.equal((await ts.http('GET', '/v1/admin/apps/app_nope/limits', undefined, admin(ts))).status, 404);
});

test('connections per user: one more is closed with 3504 and the SDK stops; a freed slot lets the next one in', async (t) => {
  const { ts, app } = await setup(t, { maxConnectionsPerUser: 2 });
  const a = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'a'));
  await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'b'));
  await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'carol', 'a')); // another user is not counted
  const third = start(t, ts, await tokenFor(ts, app, 'bob', 'c'));
  const closes = closesOf(third);
  await waitFor('the third refused', () => third.state === 'disconnected');
  assert.deepEqual(closes, [{ code: 3504, reason: 'connection limit: at most 2 connections per user', reconnecting: false }]);
  a.c.disconnect();
  await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'd'));
});

test('connections per app: one more gets error 106 marked temporary, so the SDK retries until a slot frees', async (t) => {
  const { ts, app } = await setup(t, { maxConnectionsPerApp: 2 });
  const first = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'u1'));
  await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'u2'));
  const waiting = start(t, ts, await tokenFor(ts, app, 'u3'));
  const errors: { code: number; temporary?: boolean }[] = [];
  waiting.on('error', (ctx) => errors.push(ctx.error as { code: number; temporary?: boolean }));
  await waitFor('two refusals', () => errors.length >= 2);
  assert.deepEqual({ code: errors[0]!.code, temporary: errors[0]!.temporary }, { code: 106, temporary: true });
  assert.equal(waiting.state, 'connecting', 'still trying');
  const other = await ts.createApp('other');
  await connectSdk(t, ts.wsUrl, await tokenFor(ts, other, 'u9')); // another app has its own count
  first.c.disconnect();
  await waitFor('the waiting client to get in', () => waiting.state === 'connected', 5000);
});

test('connect rate per IP: past the limit a connect gets error 111 (temporary)', async (t) => {
  const { ts, app } = await setup(t, { connectsPerIpPerMinute: 3 });
  const token = await tokenFor(ts, app, 'u1');
  for (let i = 0; i < 3; i++) {
    const raw = await rawClient(t, ts.wsUrl);
    assert.ok((await raw.call('connect', { token })).connect, `connect ${i + 1}`);
    raw.close();
  }
  const raw = await rawClient(t, ts.wsUrl);
  const r = await raw.call('connect', { token });
  assert.equal(r.error?.code, 111, JSON.stringify(r));
  assert.equal(r.error?.temporary, true);
  const other = await ts.createApp('other');
  const raw2 = await rawClient(t, ts.wsUrl);
  assert.ok((await raw2.call('connect', { token: await tokenFor(ts, other, 'u1') })).connect, 'counted per app');
});

test('publishes per user and per channel per second: error 111 (temporary) over the socket, 429 with Retry-After over HTTP', async (t) => {
  const { ts, app } = await setup(t, { publishesPerUserPerSecond: 3, publishesPerChannelPerSecond: 5 });
  for (const ch of ['a', 'b']) assert.equal((await api(ts, app, 'POST', '/channels', { channel: ch, type: 'open' })).status, 201);
  const raw = await rawClient(t, ts.wsUrl);
  await raw.call('connect', { token: await tokenFor(ts, app, 'alice') });
  const replies = await Promise.all([1, 2, 3, 4].map((n) => raw.call('publish', { channel: n % 2 ? 'a' : 'b', data: { n } })));
  assert.deepEqual(replies.map((r) => (r.publish ? 'ok' : r.error.code)), ['ok', 'ok', 'ok', 111], 'per user, across channels');
  assert.equal(replies[3].error.temporary, true);

  // Per channel: the backend and everyone together.
  const results: { status: number; retryAfter: string | null; code?: number }[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`${ts.url}/v1/apps/${app.id}/publish`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': app.secret }, body: JSON.stringify({ channel: 'b', data: { i } }) });
    results.push({ status: res.status, retryAfter: res.headers.get('retry-after'), code: ((await res.json()) as { error?: { code: number } }).error?.code });
  }
  const refused = results.findIndex((r) => r.status === 429);
  assert.ok(refused >= 3 && refused <= 5, `the channel's budget of 5 per second ran out: ${JSON.stringify(results)}`);
  assert.equal(results[refused]!.code, 111);
  assert.equal(results[refused]!.retryAfter, '1');
  await sleep(1100);
  assert.equal((await api(ts, app, 'POST', '/publish', { channel: 'b', data: 'later' })).status, 200, 'the next second has a new budget');
});

test('message size, channels per connection, presence size: error 106 with the app\'s own values', async (t) => {
  const { ts, app } = await setup(t, { maxMessageBytes: 100, maxChannelsPerConnection: 2, maxPresenceSize: 2 });
  for (const ch of ['a', 'b', 'c']) assert.equal((await api(ts, app, 'POST', '/channels', { channel: ch, type: 'open' })).status, 201);
  const { c } = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'alice'));
  const subs = ['a', 'b', 'c'].map((ch) => c.newSubscription(ch));
  const unsubscribed: { channel: string; code: number }[] = [];
  for (const s of subs) {
    s.on('unsubscribed', (u) => unsubscribed.push({ channel: s.channel, code: u.code }));
    s.subscribe();
  }
  await subs[0]!.ready(2000);
  await subs[1]!.ready(2000);
  await waitFor('the third subscription refused', () => unsubscribed.length === 1);
  assert.deepEqual(unsubscribed, [{ channel: 'c', code: 106 }]);

  await assert.rejects(c.publish('a', { text: 'x'.repeat(150) }), (e: { code?: number }) => e.code === 106);
  assert.ok((await c.publish('a', { text: 'short' })), 'a small message goes through');
  assert.equal((await api(ts, app, 'POST', '/publish', { channel: 'a', data: 'y'.repeat(150) })).status, 413);
  assert.equal((await api(ts, app, 'POST', '/users/alice/send', { data: 'y'.repeat(150) })).status, 413);

  // Presence of "a" holds alice; one more fits, the next is refused.
  const bob = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob'));
  const bobSub = bob.c.newSubscription('a');
  bobSub.subscribe();
  await bobSub.ready(2000);
  const carol = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'carol'));
  const carolSub = carol.c.newSubscription('a');
  const refused = new Promise<number>((resolve) => carolSub.on('unsubscribed', (u) => resolve(u.code)));
  carolSub.subscribe();
  assert.equal(await refused, 106);
  bobSub.unsubscribe();
  await waitFor('bob out of presence', async () => Object.keys((await api(ts, app, 'GET', '/channels/a/presence')).body.presence).length === 1);
  const again = carol.c.newSubscription('b');
  again.subscribe();
  await again.ready(2000);
  carol.c.removeSubscription(carolSub);
  const retry = carol.c.newSubscription('a');
  retry.subscribe();
  await retry.ready(2000);
});

test('members per channel: create, add and join past the limit get 106 and add nobody', async (t) => {
  const { ts, app } = await setup(t, { maxMembersPerChannel: 3 });
  for (const u of ['u1', 'u2', 'u3', 'u4', 'u5']) await tokenFor(ts, app, u);
  const tooMany = await api(ts, app, 'POST', '/channels', { channel: 'big', members: ['u1', 'u2', 'u3', 'u4'] });
  assert.equal(tooMany.status, 413, JSON.stringify(tooMany.body));
  assert.equal(tooMany.body.error.code, 106);
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['u1', 'u2'] })).status, 201);
  const add = await api(ts, app, 'POST', '/channels/room/members', { users: ['u3', 'u4'] });
  assert.equal(add.status, 413);
  assert.deepEqual((await api(ts, app, 'GET', '/channels/room')).body.members, ['u1', 'u2'], 'nobody added');
  assert.deepEqual((await api(ts, app, 'POST', '/channels/room/members', { users: ['u3'] })).body, { added: ['u3'] });

  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'lobby', type: 'open', members: ['u1', 'u2', 'u3'] })).status, 201);
  const { c } = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'u5'));
  await assert.rejects(c.rpc('channel.join', { channel: 'lobby' }), (e: { code?: number }) => e.code === 106);
  const { c: c1 } = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'u1'));
  assert.equal((await c1.rpc('channel.join', { channel: 'lobby' })).data.channel, 'lobby', 'a member joining again is not refused');
});

test('the config defaults apply to every app that has no override', async (t) => {
  const { ts, app } = await setup(t, {}, { maxConnectionsPerUser: 1, maxChannelsPerConnection: 1 });
  const first = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'a'));
  const second = start(t, ts, await tokenFor(ts, app, 'bob', 'b'));
  await waitFor('the second refused', () => second.state === 'disconnected');
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'x', type: 'open' })).status, 201);
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'y', type: 'open' })).status, 201);
  const raw = await rawClient(t, ts.wsUrl);
  await raw.call('connect', { token: await tokenFor(ts, app, 'carol') });
  assert.ok((await raw.call('subscribe', { channel: 'x' })).subscribe);
  assert.equal((await raw.call('subscribe', { channel: 'y' })).error?.code, 106);
  first.c.disconnect();
});
