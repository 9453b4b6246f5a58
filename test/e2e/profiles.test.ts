// Issue 8, item 9: public and private profile fields, and the per-app switch for listing users.
// Private fields are seen only by the user themself and by the app's backend; other users neither see
// them nor can search by them; `user.search` with no filter needs the app setting `userListing`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, sdkClient, userSession } from '../helpers/clients.ts';
import { DEFAULT_APP_SETTINGS } from '../../src/protocol/app-settings.ts';

const PASSWORD = 'correct-horse-1';
const admin = (ts: TestServer) => ({ authorization: `Bearer ${ts.adminToken}` });

async function register(ts: TestServer, app: TestApp, user: string, profile: object, privateProfile?: object) {
  const r = await ts.http('POST', `/v1/apps/${app.id}/users`, { user, password: PASSWORD, profile, ...(privateProfile ? { privateProfile } : {}) }, { 'x-app-key': app.key });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function client(t: Parameters<typeof startServer>[0], ts: TestServer, app: TestApp, user: string) {
  const s = await userSession(ts, app, user, 'phone', PASSWORD);
  return sdkClient(t, ts.wsUrl, s.accessToken);
}

test('private profile fields: only the user and the backend see them; nobody else can search by them', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const reg = await register(ts, app, 'alice', { name: 'Alice', city: 'Oslo' }, { email: 'alice@example.org', phone: '+4712345678' });
  assert.deepEqual(reg, { user: 'alice', profile: { name: 'Alice', city: 'Oslo' }, privateProfile: { email: 'alice@example.org', phone: '+4712345678' } });
  await register(ts, app, 'bob', { name: 'Bob' });
  const bob = await client(t, ts, app, 'bob');
  const alice = await client(t, ts, app, 'alice');

  // Another user: public fields only, whatever the route.
  const seen = [
    (await bob.rpc('user.get', { user: 'alice' })).data,
    ...(await bob.rpc('user.search', { prefix: 'al' })).data.users,
    ...(await bob.rpc('user.search', { field: 'city', value: 'Oslo' })).data.users,
  ];
  for (const v of seen) assert.deepEqual(v, { user: 'alice', profile: { name: 'Alice', city: 'Oslo' } });
  // Searching by a private field finds nothing (it only looks at public fields), and no flag opens it.
  assert.deepEqual((await bob.rpc('user.search', { field: 'email', value: 'alice@example.org' })).data.users, []);
  await assert.rejects(bob.rpc('user.search', { field: 'email', value: 'alice@example.org', private: true }), (e: any) => e.code === 107);

  // The user themself sees and changes both parts; each part given replaces only that part.
  assert.deepEqual((await alice.rpc('user.get', { user: 'alice' })).data.privateProfile, { email: 'alice@example.org', phone: '+4712345678' });
  const upd = (await alice.rpc('user.update', { privateProfile: { email: 'new@example.org' } })).data;
  assert.deepEqual(upd, { user: 'alice', profile: { name: 'Alice', city: 'Oslo' }, privateProfile: { email: 'new@example.org' } });
  await assert.rejects(alice.rpc('user.update', {}), (e: any) => e.code === 107);
  assert.deepEqual((await bob.rpc('user.get', { user: 'alice' })).data, { user: 'alice', profile: { name: 'Alice', city: 'Oslo' } });

  // The backend sees everything and may search a private field.
  assert.deepEqual((await api(ts, app, 'GET', '/users/alice')).body, upd);
  const byEmail = await api(ts, app, 'GET', '/users?field=email&value=new%40example.org&private=true');
  assert.deepEqual(byEmail.body, { users: [upd] });
  assert.deepEqual((await api(ts, app, 'GET', '/users?field=email&value=new%40example.org')).body, { users: [] }, 'public fields by default');
  const patched = await api(ts, app, 'PATCH', '/users/bob', { privateProfile: { tier: 'gold' } });
  assert.deepEqual(patched.body, { user: 'bob', profile: { name: 'Bob' }, privateProfile: { tier: 'gold' } });
  assert.equal((await api(ts, app, 'GET', '/users/nobody')).status, 404);
  assert.equal((await api(ts, app, 'PATCH', '/users/bob', {})).status, 400);
  assert.deepEqual((await alice.rpc('user.get', { user: 'bob' })).data, { user: 'bob', profile: { name: 'Bob' } });
});

test('listing users needs the app setting userListing (off by default); admins read and change settings', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await register(ts, app, 'alice', { name: 'Alice' }, { email: 'a@x' });
  await register(ts, app, 'bob', { name: 'Bob' });
  const bob = await client(t, ts, app, 'bob');

  assert.deepEqual((await ts.http('GET', `/v1/admin/apps/${app.id}/settings`, undefined, admin(ts))).body, { settings: { ...DEFAULT_APP_SETTINGS, userListing: false } });
  await assert.rejects(bob.rpc('user.search', {}), (e: any) => e.code === 103 && /listing users is off/.test(e.message));
  await assert.rejects(bob.rpc('user.search', { prefix: '' }), (e: any) => e.code === 103, 'an empty prefix is no filter');
  assert.equal((await bob.rpc('user.search', { prefix: 'a' })).data.users.length, 1, 'a filter still works');
  // The backend is not subject to the switch.
  assert.equal((await api(ts, app, 'GET', '/users')).body.users.length, 2);

  const on = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { userListing: true }, admin(ts));
  assert.deepEqual(on.body, { settings: { ...DEFAULT_APP_SETTINGS, userListing: true } });
  const listed = (await bob.rpc('user.search', {})).data.users;
  assert.deepEqual(listed, [{ user: 'alice', profile: { name: 'Alice' } }, { user: 'bob', profile: { name: 'Bob' }, privateProfile: {} }]);
  assert.deepEqual((await ts.http('GET', `/v1/admin/apps/${app.id}`, undefined, admin(ts))).body.settings, { ...DEFAULT_APP_SETTINGS, userListing: true });
  const list = (await ts.http('GET', '/v1/admin/apps', undefined, admin(ts))).body.apps;
  assert.deepEqual(list.find((a: { id: string }) => a.id === app.id).settings, { ...DEFAULT_APP_SETTINGS, userListing: true });

  // Refusals: unknown or mistyped settings, no admin token, unknown app. Nothing changes.
  const bad: [unknown, Record<string, string>, string, number][] = [
    [{ userListing: 'yes' }, admin(ts), app.id, 400],
    [{ colour: 'red' }, admin(ts), app.id, 400],
    [{ userListing: false }, {}, app.id, 401],
    [{ userListing: false }, admin(ts), 'app_nope', 404],
  ];
  for (const [body, headers, id, status] of bad) {
    const r = await ts.http('PATCH', `/v1/admin/apps/${id}/settings`, body, headers);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
  }
  assert.deepEqual((await ts.http('GET', `/v1/admin/apps/${app.id}/settings`, undefined, admin(ts))).body, { settings: { ...DEFAULT_APP_SETTINGS, userListing: true } });

  // Settings at creation.
  const made = await ts.http('POST', '/v1/admin/apps', { name: 'open-directory', settings: { userListing: true } }, admin(ts));
  assert.equal(made.status, 201);
  assert.deepEqual(made.body.settings, { ...DEFAULT_APP_SETTINGS, userListing: true });
});

test('the beforeRegister hook sees and may enrich the private profile', async (t) => {
  const ts = await startServer(t, {
    hooks: { beforeRegister: (p) => ({ privateProfile: { ...p.privateProfile, signedUpVia: 'web' } }) },
  });
  const app = await ts.createApp();
  const r = await register(ts, app, 'carol', { name: 'Carol' }, { email: 'c@x' });
  assert.deepEqual(r.privateProfile, { email: 'c@x', signedUpVia: 'web' });
});
