// Item 10: list and search an app's users (id prefix, profile field, cursor paging); private named groups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, sdkClient } from '../helpers/clients.ts';
import { tokenFor } from './e2e-kit.ts';

const PEOPLE: [string, Record<string, unknown>][] = [
  ['ann', { city: 'Oslo', age: 30 }],
  ['anna', { city: 'Paris', age: 41 }],
  ['annabel', { city: 'Oslo', age: 30 }],
  ['bob', { city: 'Paris', vip: true }],
  ['carl', { city: 'Paris' }],
  ['zed', {}],
];

async function register(ts: TestServer, app: TestApp, user: string, profile: Record<string, unknown>): Promise<void> {
  const r = await ts.http('POST', `/v1/apps/${app.id}/users`, { user, password: 'correct-horse-1', profile }, { 'x-app-key': app.key });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(r.body, { user, profile, privateProfile: {} });
}

async function setup(t: Parameters<typeof startServer>[0]) {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await Promise.all(PEOPLE.map(([u, p]) => register(ts, app, u, p)));
  return { ts, app };
}

const ids = (users: { user: string }[]) => users.map((u) => u.user);

test('search users by id prefix and by profile field, paged with a cursor, over rpc and the server API', { timeout: 20_000 }, async (t) => {
  const { ts, app } = await setup(t);
  // Another app's users never show up.
  const other = await ts.createApp('other');
  await register(ts, other, 'annie', { city: 'Paris' });
  const c = await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'zed'));

  // Prefix, two per page.
  const p1 = (await c.rpc('user.search', { prefix: 'ann', limit: 2 })).data;
  assert.deepEqual(ids(p1.users), ['ann', 'anna']);
  assert.deepEqual(p1.users[1].profile, { city: 'Paris', age: 41 });
  assert.equal(typeof p1.next, 'string');
  const p2 = (await c.rpc('user.search', { prefix: 'ann', limit: 2, cursor: p1.next })).data;
  assert.deepEqual(ids(p2.users), ['annabel']);
  assert.equal(p2.next, undefined, 'the last page has no cursor');

  // Profile field (strings; numbers and booleans by their JSON spelling).
  assert.deepEqual(ids((await c.rpc('user.search', { field: 'city', value: 'Paris' })).data.users), ['anna', 'bob', 'carl']);
  assert.deepEqual(ids((await c.rpc('user.search', { field: 'age', value: '30' })).data.users), ['ann', 'annabel']);
  assert.deepEqual(ids((await c.rpc('user.search', { field: 'vip', value: 'true' })).data.users), ['bob']);
  assert.deepEqual(ids((await c.rpc('user.search', { prefix: 'ann', field: 'city', value: 'Oslo' })).data.users), ['ann', 'annabel']);
  assert.deepEqual((await c.rpc('user.search', { field: 'city', value: 'Rome' })).data.users, []);

  // Everyone, paged, over the server API: every user exactly once, in id order.
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const q = new URLSearchParams({ limit: '4', ...(cursor ? { cursor } : {}) });
    const r = await api(ts, app, 'GET', `/users?${q}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    seen.push(...ids(r.body.users));
    cursor = r.body.next;
    if (!cursor) break;
  }
  assert.deepEqual(seen, PEOPLE.map(([u]) => u));
  const byField = await api(ts, app, 'GET', '/users?field=city&value=Paris&limit=2');
  assert.deepEqual(ids(byField.body.users), ['anna', 'bob']);
  const rest = await api(ts, app, 'GET', `/users?field=city&value=Paris&limit=2&cursor=${encodeURIComponent(byField.body.next)}`);
  assert.deepEqual(ids(rest.body.users), ['carl']);
  assert.deepEqual(ids((await api(ts, app, 'GET', '/users?prefix=ann')).body.users), ['ann', 'anna', 'annabel']);

  // user.get / user.update (own profile only).
  assert.deepEqual((await c.rpc('user.get', { user: 'bob' })).data, { user: 'bob', profile: { city: 'Paris', vip: true } });
  assert.deepEqual((await c.rpc('user.update', { profile: { city: 'Rome' } })).data, { user: 'zed', profile: { city: 'Rome' }, privateProfile: {} });
  assert.deepEqual(ids((await c.rpc('user.search', { field: 'city', value: 'Rome' })).data.users), ['zed']);
  await assert.rejects(c.rpc('user.get', { user: 'annie' }), (e: any) => e.code === 404, 'a user of another app is not found');
});

test('search refusals: field without value, bad limits and unknown fields are 107 / 400', { timeout: 20_000 }, async (t) => {
  const { ts, app } = await setup(t);
  const c = await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'zed'));
  await assert.rejects(c.rpc('user.search', { field: 'city' }), (e: any) => e.code === 107 && /field and value/.test(e.message));
  await assert.rejects(c.rpc('user.search', { limit: 0 }), (e: any) => e.code === 107 && /limit/.test(e.message));
  await assert.rejects(c.rpc('user.search', { limit: 101 }), (e: any) => e.code === 107 && /limit/.test(e.message));
  await assert.rejects(c.rpc('user.search', { name: 'x' }), (e: any) => e.code === 107 && /name/.test(e.message));
  await assert.rejects(c.rpc('user.search', { field: 'a.b', value: 'x' }), (e: any) => e.code === 107 && /field/.test(e.message));
  for (const q of ['field=city', 'limit=0', 'limit=abc', 'bogus=1']) {
    const r = await api(ts, app, 'GET', `/users?${q}`);
    assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 107, q);
  }
  assert.equal((await ts.http('GET', `/v1/apps/${app.id}/users`)).status, 401, 'the server API needs the app secret');
});

test('groups: add, remove, list, members; unknown users are refused; each user sees only their own groups', { timeout: 20_000 }, async (t) => {
  const { ts, app } = await setup(t);
  const ann = await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'ann'));
  const bob = await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'bob'));

  assert.deepEqual((await ann.rpc('group.add', { group: 'friends', users: ['bob', 'carl', 'bob'] })).data, { added: ['bob', 'carl'] });
  assert.deepEqual((await ann.rpc('group.add', { group: 'friends', users: ['carl', 'zed'] })).data, { added: ['zed'] }, 'only the new ones');
  assert.deepEqual((await ann.rpc('group.add', { group: 'work', users: ['anna'] })).data, { added: ['anna'] });
  assert.deepEqual((await ann.rpc('group.members', { group: 'friends' })).data, { users: ['bob', 'carl', 'zed'] });
  assert.deepEqual((await ann.rpc('group.list', {})).data, { groups: [{ group: 'friends', size: 3 }, { group: 'work', size: 1 }] });

  // Unknown users: refused, nothing added.
  await assert.rejects(ann.rpc('group.add', { group: 'friends', users: ['carl', 'ghost'] }), (e: any) => e.code === 107 && /ghost/.test(e.message));
  assert.deepEqual((await ann.rpc('group.members', { group: 'friends' })).data.users, ['bob', 'carl', 'zed']);
  await assert.rejects(ann.rpc('group.add', { group: '', users: ['bob'] }), (e: any) => e.code === 107);
  await assert.rejects(ann.rpc('group.add', { group: 'friends', users: 'bob' }), (e: any) => e.code === 107);

  // Remove; a group with no members is gone from the list.
  assert.deepEqual((await ann.rpc('group.remove', { group: 'friends', users: ['bob', 'nobody'] })).data, { removed: ['bob'] });
  assert.deepEqual((await ann.rpc('group.remove', { group: 'work', users: ['anna'] })).data, { removed: ['anna'] });
  assert.deepEqual((await ann.rpc('group.list', {})).data, { groups: [{ group: 'friends', size: 2 }] });

  // Private to their owner: bob sees none of ann's groups, and his own "friends" is separate.
  assert.deepEqual((await bob.rpc('group.list', {})).data, { groups: [] });
  assert.deepEqual((await bob.rpc('group.members', { group: 'friends' })).data, { users: [] });
  assert.deepEqual((await bob.rpc('group.add', { group: 'friends', users: ['ann'] })).data, { added: ['ann'] });
  assert.deepEqual((await bob.rpc('group.members', { group: 'friends' })).data.users, ['ann']);
  assert.deepEqual((await ann.rpc('group.members', { group: 'friends' })).data.users, ['carl', 'zed']);
});
