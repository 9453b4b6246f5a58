// Item 2 — users and devices: register, login per device, refresh rotation, logout, backend tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient, type RawClient } from '../helpers/clients.ts';

const PASSWORD = 'S3cret-Horse-Battery';

function register(ts: TestServer, app: TestApp, body: unknown, key = app.key) {
  return ts.http('POST', `/v1/apps/${app.id}/users`, body, { 'x-app-key': key });
}
function login(ts: TestServer, app: TestApp, user: string, device: string, password = PASSWORD, extra: object = {}) {
  return ts.http('POST', `/v1/apps/${app.id}/auth/login`, { user, password, device, ...extra }, { 'x-app-key': app.key });
}
function refresh(ts: TestServer, app: TestApp, refreshToken: string) {
  return ts.http('POST', `/v1/apps/${app.id}/auth/refresh`, { refreshToken }, { 'x-app-key': app.key });
}
async function connected(t: Parameters<typeof rawClient>[0], ts: TestServer, token: string): Promise<RawClient> {
  const c = await rawClient(t, ts.wsUrl);
  const r = await c.call('connect', { token });
  assert.ok(r.connect, `connect failed: ${JSON.stringify(r)}`);
  return c;
}

test('register: 201 with the profile, duplicate → 409, bad ids and short passwords → 400 code 107', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const ok = await register(ts, app, { user: 'alice.b@x:1-_', password: PASSWORD, profile: { name: 'Alice', age: 30 } });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.deepEqual(ok.body, { user: 'alice.b@x:1-_', profile: { name: 'Alice', age: 30 }, privateProfile: {} });

  const dup = await register(ts, app, { user: 'alice.b@x:1-_', password: 'another-password' });
  assert.equal(dup.status, 409);
  assert.equal(typeof dup.body.error.message, 'string');

  const bad: [string, unknown][] = [
    ['empty id', { user: '', password: PASSWORD }],
    ['space in id', { user: 'a b', password: PASSWORD }],
    ['slash in id', { user: 'a/b', password: PASSWORD }],
    ['non-ascii id', { user: 'zoë', password: PASSWORD }],
    ['id too long', { user: 'x'.repeat(129), password: PASSWORD }],
    ['short password', { user: 'bob', password: 'short7!' }],
    ['password too long', { user: 'bob', password: 'p'.repeat(257) }],
    ['missing password', { user: 'bob' }],
    ['unknown field', { user: 'bob', password: PASSWORD, admin: true }],
    ['profile not an object', { user: 'bob', password: PASSWORD, profile: 'x' }],
  ];
  for (const [what, body] of bad) {
    const r = await register(ts, app, body);
    assert.equal(r.status, 400, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 107, what);
  }
  // Nothing of that was created.
  assert.equal((await login(ts, app, 'bob', 'phone')).status, 401);
  // The longest legal id works.
  assert.equal((await register(ts, app, { user: 'x'.repeat(128), password: PASSWORD })).status, 201);
  // Without or with a wrong app key: 401.
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/users`, { user: 'carol', password: PASSWORD })).status, 401);
  assert.equal((await register(ts, app, { user: 'carol', password: PASSWORD }, app.secret)).status, 401);
});

// Fails while src/session/http.ts runs ajv with coerceTypes: 'array' on bodies too (it is only
// needed for query strings): a number becomes a string id or password instead of a 400.
test('wrong JSON types in bodies are refused (400, 107), not coerced', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const cases: [string, unknown][] = [
    ['user id as number', { user: 42, password: PASSWORD }],
    ['user id as boolean', { user: true, password: PASSWORD }],
    ['password as number', { user: 'numpass', password: 123456789 }],
  ];
  for (const [what, body] of cases) {
    const r = await register(ts, app, body);
    assert.equal(r.status, 400, `${what} must be refused, got ${r.status} ${JSON.stringify(r.body)} (ajv coerceTypes on bodies?)`);
    assert.equal(r.body.error.code, 107, what);
  }
});

test('one user logs in from two devices at once; both sessions live side by side', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  assert.equal((await register(ts, app, { user: 'alice', password: PASSWORD })).status, 201);
  const [phone, laptop] = await Promise.all([login(ts, app, 'alice', 'phone', PASSWORD, { pushToken: 'apns-123' }), login(ts, app, 'alice', 'laptop')]);
  for (const r of [phone, laptop]) {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.user, 'alice');
    assert.ok(r.body.accessToken && r.body.refreshToken && r.body.session);
    assert.equal(typeof r.body.expiresIn, 'number');
  }
  assert.equal(phone.body.device, 'phone');
  assert.equal(laptop.body.device, 'laptop');
  assert.notEqual(phone.body.session, laptop.body.session);
  assert.notEqual(phone.body.refreshToken, laptop.body.refreshToken);

  const a = await connected(t, ts, phone.body.accessToken);
  const b = await connected(t, ts, laptop.body.accessToken);
  const conns = (await api(ts, app, 'GET', '/connections')).body.connections;
  assert.deepEqual(conns.map((c: { user: string; device: string }) => `${c.user}/${c.device}`).sort(), ['alice/laptop', 'alice/phone']);
  const devs = await ts.http('GET', `/v1/apps/${app.id}/me/devices`, undefined, { authorization: `Bearer ${phone.body.accessToken}` });
  assert.equal(devs.status, 200);
  const byDevice = Object.fromEntries(devs.body.devices.map((d: { device: string }) => [d.device, d]));
  assert.equal(byDevice.phone.pushToken, 'apns-123');
  assert.equal(byDevice.phone.online, true);
  assert.equal(byDevice.laptop.online, true);
  assert.equal(byDevice.phone.session, phone.body.session);
  void a;
  void b;
});

test('wrong password and unknown user: both 401 with the same message', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await register(ts, app, { user: 'alice', password: PASSWORD });
  const wrong = await login(ts, app, 'alice', 'phone', 'not-the-password');
  const unknown = await login(ts, app, 'nobody', 'phone', 'not-the-password');
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.equal(wrong.body.error.code, 101);
  assert.deepEqual(wrong.body, unknown.body, 'the answer must not reveal whether the user exists');
  // Case matters for passwords.
  assert.equal((await login(ts, app, 'alice', 'phone', PASSWORD.toUpperCase())).status, 401);
  // A wrong app key is refused before the password is even looked at.
  const noKey = await ts.http('POST', `/v1/apps/${app.id}/auth/login`, { user: 'alice', password: PASSWORD, device: 'phone' }, { 'x-app-key': 'pk_wrong' });
  assert.equal(noKey.status, 401);
});

test('refresh rotates: the new pair works, the old refresh token is refused after use (409 within the reuse grace)', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await register(ts, app, { user: 'alice', password: PASSWORD });
  const first = (await login(ts, app, 'alice', 'phone')).body;
  const r1 = await refresh(ts, app, first.refreshToken);
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  assert.notEqual(r1.body.refreshToken, first.refreshToken);
  assert.equal(r1.body.session, first.session, 'same device session');
  assert.equal(r1.body.device, 'phone');
  assert.equal(r1.body.user, 'alice');
  await connected(t, ts, r1.body.accessToken);

  // Right after its rotation a spent token is refused with 409 (taken for a concurrent refresh of the
  // same client: nothing revoked; reuse later revokes, see refresh-reuse.test.ts).
  const reuse = await refresh(ts, app, first.refreshToken);
  assert.equal(reuse.status, 409);
  assert.equal(reuse.body.error.code, 409);
  const r2 = await refresh(ts, app, r1.body.refreshToken);
  assert.equal(r2.status, 200);
  assert.equal((await refresh(ts, app, r1.body.refreshToken)).status, 409);
  assert.equal((await refresh(ts, app, 'garbage')).status, 401);

  // Two racing refreshes with the same token: exactly one wins.
  const race = await Promise.all([refresh(ts, app, r2.body.refreshToken), refresh(ts, app, r2.body.refreshToken)]);
  assert.deepEqual(race.map((r) => r.status).sort(), [200, 409]);
});

test('logout revokes that device only: its refresh fails, its socket closes 3503, a reconnect gets 3500', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await register(ts, app, { user: 'alice', password: PASSWORD });
  const phone = (await login(ts, app, 'alice', 'phone')).body;
  const laptop = (await login(ts, app, 'alice', 'laptop')).body;
  const p = await connected(t, ts, phone.accessToken);
  const l = await connected(t, ts, laptop.accessToken);

  const out = await ts.http('POST', `/v1/apps/${app.id}/auth/logout`, {}, { authorization: `Bearer ${phone.accessToken}` });
  assert.equal(out.status, 200, JSON.stringify(out.body));
  assert.deepEqual(out.body, { revoked: true });

  assert.deepEqual(await p.waitClosed(), { code: 3503, reason: 'logged out' });
  assert.equal((await refresh(ts, app, phone.refreshToken)).status, 401);
  const again = await rawClient(t, ts.wsUrl);
  again.sendRaw(JSON.stringify({ id: 1, connect: { token: phone.accessToken } }));
  assert.equal((await again.waitClosed()).code, 3500);

  // The laptop is untouched: still connected and answering, and its refresh still works.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(l.closed, undefined);
  const ping = await l.call('rpc', { method: 'channel.list', data: {} });
  assert.deepEqual(ping.rpc?.data, { channels: [] });
  assert.equal((await refresh(ts, app, laptop.refreshToken)).status, 200);
  const conns = (await api(ts, app, 'GET', '/connections')).body.connections;
  assert.deepEqual(conns.map((c: { device: string }) => c.device), ['laptop']);
  // Logging out needs a valid access token.
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/auth/logout`, {})).status, 401);
});

test('the password never appears in any response nor in clear in the data files', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const secret = 'Very-Unique-Password-9137';
  const bodies: string[] = [];
  const keep = <R extends { body: any }>(r: R): R => (bodies.push(JSON.stringify(r.body)), r);
  keep(await register(ts, app, { user: 'alice', password: secret, profile: { name: 'A' } }));
  keep(await register(ts, app, { user: 'alice', password: secret }));
  keep(await register(ts, app, { user: 'bad id', password: secret }));
  const l = keep(await login(ts, app, 'alice', 'phone', secret));
  keep(await login(ts, app, 'alice', 'phone', secret + 'x'));
  keep(await refresh(ts, app, l.body.refreshToken));
  keep(await ts.http('GET', `/v1/apps/${app.id}/me/devices`, undefined, { authorization: `Bearer ${l.body.accessToken}` }));
  keep(await api(ts, app, 'GET', '/users'));
  const c = await connected(t, ts, l.body.accessToken);
  bodies.push(JSON.stringify(await c.call('rpc', { method: 'user.get', data: { user: 'alice' } })));
  bodies.push(JSON.stringify(await c.call('rpc', { method: 'user.search', data: { prefix: 'a' } })));
  for (const b of bodies) {
    assert.equal(b.includes(secret), false, `password leaked in ${b}`);
    assert.equal(/argon2|passwordHash|password_hash/i.test(b), false, `hash leaked in ${b}`);
  }
  // The hash lives in the store, the clear password nowhere on disk.
  await ts.server.close();
  const files = fs.readdirSync(ts.dataDir).map((f) => path.join(ts.dataDir, f));
  const all = Buffer.concat(files.filter((f) => fs.statSync(f).isFile()).map((f) => fs.readFileSync(f)));
  assert.equal(all.includes(Buffer.from(secret)), false, 'password stored in clear');
  assert.equal(all.includes(Buffer.from('$argon2id$')), true, 'argon2id hash stored');
});

test('the app backend mints connection tokens with the app secret', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const r = await api(ts, app, 'POST', '/tokens', { user: 'ext-42', device: 'kiosk', info: { name: 'Ext' }, ttlSec: 120 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.expiresIn, 120);
  const c = await rawClient(t, ts.wsUrl);
  const conn = await c.call('connect', { token: r.body.token });
  assert.equal(conn.connect.data.user, 'ext-42');
  assert.equal(conn.connect.data.device, 'kiosk');
  assert.ok(conn.connect.ttl > 100 && conn.connect.ttl <= 120, `ttl ${conn.connect.ttl}`);
  // The user now exists in the app (members can name it).
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['ext-42'] })).status, 201);
  // Its info travels with its publications.
  await c.call('subscribe', { channel: 'room' });
  await c.call('publish', { channel: 'room', data: 'hi' });
  const pub = await c.waitFor((m) => m.push?.pub);
  assert.equal(pub.push.pub.info.user, 'ext-42');
  assert.deepEqual(pub.push.pub.info.conn_info, { device: 'kiosk' });
  // A token without a device session cannot be logged out; wrong secret and bad bodies are refused.
  const lo = await ts.http('POST', `/v1/apps/${app.id}/auth/logout`, {}, { authorization: `Bearer ${r.body.token}` });
  assert.equal(lo.status, 400);
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/tokens`, { user: 'x' }, { 'x-api-key': app.key })).status, 401);
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/tokens`, { user: 'x' })).status, 401);
  assert.equal((await api(ts, app, 'POST', '/tokens', { user: 'bad id' })).status, 400);
  assert.equal((await api(ts, app, 'POST', '/tokens', { user: 'x', ttlSec: 0 })).status, 400);
});
