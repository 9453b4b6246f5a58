// Issue 11, item 4: user-level operations, each end to end with a real client (centrifuge-js or the
// XPush SDK): send to a user, disconnect a user or one device, revoke sessions, disable / enable,
// delete, reset and change a password, list and revoke one's own devices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, userSession } from '../helpers/clients.ts';
import { closesOf } from '../helpers/closes.ts';
import { connectSdk, messagesOf, sleep, tokenFor, waitFor } from './e2e-kit.ts';
import { loggedIn, PASSWORD } from './sdk-kit.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function setup(t: Parameters<typeof startServer>[0]) {
  const ts = await startServer(t);
  const app = await ts.createApp();
  return { ts, app };
}

/** Logs `user` in from `device` (registered once with `password`) and connects centrifuge-js with the access token. */
async function loggedInSdk(t: Parameters<typeof startServer>[0], ts: TestServer, app: TestApp, user: string, device: string, password = 'correct-horse-1') {
  const s = await userSession(ts, app, user, device, password);
  const { c, ctx } = await connectSdk(t, ts.wsUrl, s.accessToken);
  return { s, c, ctx, closes: closesOf(c) };
}

const login = (ts: TestServer, app: TestApp, user: string, password: string, device = 'web') =>
  ts.http('POST', `/v1/apps/${app.id}/auth/login`, { user, password, device }, { 'x-app-key': app.key });

test('send to a user: every connection of the user gets the message push; the answer says whether they are online', async (t) => {
  const { ts, app } = await setup(t);
  const laptop = await loggedIn(t, ts, app, 'bob', 'laptop'); // the XPush SDK
  const phone = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'phone')); // centrifuge-js, another device
  const other = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'carol', 'phone'));
  const onPhone = messagesOf(phone.c);
  const onOther = messagesOf(other.c);

  const r = await api(ts, app, 'POST', '/users/bob/send', { data: { text: 'your order shipped', n: 1 } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body, { sent: true, online: true });
  await waitFor('the push on the phone', () => onPhone.length === 1);
  assert.deepEqual(onPhone, [{ text: 'your order shipped', n: 1 }]);
  const pushed = await waitFor('the push on the laptop (XPush SDK `push` event)', () => laptop.events.find((e) => e.name === 'push'));
  assert.deepEqual(pushed.args, [{ text: 'your order shipped', n: 1 }]);

  assert.deepEqual((await api(ts, app, 'POST', '/users/nobody-online/send', { data: 'x' })).body, { sent: true, online: false });
  // Refusals: XPUSH's own push types, too large, no data, wrong key.
  const reserved = await api(ts, app, 'POST', '/users/bob/send', { data: { type: 'read', channel: 'x' } });
  assert.equal(reserved.status, 400);
  assert.match(reserved.body.error.message, /reserved/);
  assert.equal((await api(ts, app, 'POST', '/users/bob/send', { data: 'x'.repeat(70_000) })).status, 413);
  assert.equal((await api(ts, app, 'POST', '/users/bob/send', {})).status, 400);
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/users/bob/send`, { data: 1 }, { 'x-api-key': 'wrong' })).status, 401);
  await sleep(100);
  assert.equal(onPhone.length, 1, 'refused sends deliver nothing');
  assert.deepEqual(onOther, [], 'another user gets nothing');
});

test('disconnect one device with a reconnect code, a whole user with the default terminal code, one client by id', async (t) => {
  const { ts, app } = await setup(t);
  const phone = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'phone'));
  const laptop = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'laptop'));
  const carol1 = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'carol', 'a'));
  const carol2 = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'carol', 'b'));
  const [pc, lc, c1, c2] = [phone, laptop, carol1, carol2].map((x) => closesOf(x.c));

  // One device, "reconnect" (3011): the SDK comes back by itself.
  const r = await api(ts, app, 'POST', '/disconnect', { user: 'bob', device: 'phone', code: 3011, reason: 'move along' });
  assert.deepEqual([r.status, r.body], [200, { matched: 1, code: 3011, reason: 'move along', reconnect: true }]);
  await waitFor('the phone to be closed', () => pc.length === 1);
  assert.deepEqual(pc[0], { code: 3011, reason: 'move along', reconnecting: true });
  await waitFor('the phone to be back', () => phone.c.state === 'connected');
  assert.deepEqual(lc, [], 'the other device stays');

  // The whole user, default code 3503: the SDKs stop.
  assert.equal((await api(ts, app, 'POST', '/disconnect', { user: 'bob' })).status, 200);
  await waitFor('both of bob to be closed for good', () => phone.c.state === 'disconnected' && laptop.c.state === 'disconnected');
  assert.deepEqual(lc, [{ code: 3503, reason: 'force disconnect', reconnecting: false }]);
  assert.deepEqual(pc.at(-1), { code: 3503, reason: 'force disconnect', reconnecting: false });

  // One connection by its client id.
  assert.equal((await api(ts, app, 'POST', '/disconnect', { client: carol1.ctx.client, code: 4501, reason: 'bye' })).status, 200);
  await waitFor('carol1 closed', () => c1.length === 1);
  assert.deepEqual(c1, [{ code: 4501, reason: 'bye', reconnecting: false }]);
  await sleep(100);
  assert.deepEqual(c2, []);
  assert.equal(carol2.c.state, 'connected');

  // Bad requests change nothing.
  for (const body of [{}, { device: 'b' }, { user: 'carol', code: 2000 }, { user: 'carol', code: 5000 }, { user: 'carol', extra: 1 }]) {
    const bad = await api(ts, app, 'POST', '/disconnect', body);
    assert.equal(bad.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(bad.body)}`);
  }
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/disconnect`, { user: 'carol' }, { 'x-api-key': 'nope' })).status, 401);
  await sleep(100);
  assert.equal(carol2.c.state, 'connected');
});

test('revoke all sessions of a user: their logged-in devices close (3503) and cannot refresh; backend-token connections stay', async (t) => {
  const { ts, app } = await setup(t);
  const phone = await loggedInSdk(t, ts, app, 'alice', 'phone');
  const laptop = await loggedInSdk(t, ts, app, 'alice', 'laptop');
  const viaBackend = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'alice', 'kiosk'));
  const kiosk = closesOf(viaBackend.c);
  const r = await api(ts, app, 'DELETE', '/users/alice/sessions');
  assert.deepEqual([r.status, r.body], [200, { revokedSessions: 2 }]);
  await waitFor('both logged-in devices closed', () => phone.closes.length === 1 && laptop.closes.length === 1);
  for (const d of [phone, laptop]) assert.deepEqual(d.closes, [{ code: 3503, reason: 'logged out', reconnecting: false }]);
  const refreshed = await ts.http('POST', `/v1/apps/${app.id}/auth/refresh`, { refreshToken: phone.s.refreshToken }, { 'x-app-key': app.key });
  assert.equal(refreshed.status, 401);
  await sleep(100);
  assert.deepEqual(kiosk, []);
  assert.deepEqual((await api(ts, app, 'DELETE', '/users/alice/sessions')).body, { revokedSessions: 0 });
  assert.equal((await api(ts, app, 'DELETE', '/users/nobody/sessions')).status, 404);
  assert.equal((await login(ts, app, 'alice', 'correct-horse-1')).status, 200, 'the user can log in again');
});

test('disable: connections close (3503 "user disabled"); login, refresh, tokens and connects are refused; enable lets the user back', async (t) => {
  const { ts, app } = await setup(t);
  const phone = await loggedInSdk(t, ts, app, 'alice', 'phone');
  const backendToken = await tokenFor(ts, app, 'alice', 'kiosk');
  const kiosk = await connectSdk(t, ts.wsUrl, backendToken);
  const kioskCloses = closesOf(kiosk.c);

  const r = await api(ts, app, 'POST', '/users/alice/disable');
  assert.deepEqual([r.status, r.body], [200, { user: 'alice', disabled: true }]);
  await waitFor('both connections closed', () => phone.closes.length === 1 && kioskCloses.length === 1);
  assert.deepEqual(phone.closes, [{ code: 3503, reason: 'user disabled', reconnecting: false }]);
  assert.deepEqual(kioskCloses, [{ code: 3503, reason: 'user disabled', reconnecting: false }]);

  const l = await login(ts, app, 'alice', 'correct-horse-1');
  assert.equal(l.status, 403, JSON.stringify(l.body));
  assert.equal(l.body.error.code, 103);
  assert.equal((await login(ts, app, 'alice', 'wrong-password-1')).status, 401, 'a wrong password learns nothing about the state');
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/auth/refresh`, { refreshToken: phone.s.refreshToken }, { 'x-app-key': app.key })).status, 401);
  assert.equal((await api(ts, app, 'POST', '/tokens', { user: 'alice' })).status, 403);
  assert.equal((await ts.http('GET', `/v1/apps/${app.id}/me/devices`, undefined, bearer(backendToken))).status, 403, 'a backend token on HTTP too');
  // A connect with a token minted before: refused for good.
  const again = await new Promise<{ code: number; reason: string }>((resolve) => {
    void connectSdk(t, ts.wsUrl, backendToken).catch((err: Error) => {
      const m = /disconnected (\d+) (.*)/.exec(err.message);
      resolve({ code: Number(m?.[1]), reason: m?.[2] ?? '' });
    });
  });
  assert.deepEqual(again, { code: 3503, reason: 'user disabled' });
  assert.equal((await api(ts, app, 'GET', '/users/alice')).body.disabled, true, 'the backend sees the state');

  const e = await api(ts, app, 'POST', '/users/alice/enable');
  assert.deepEqual([e.status, e.body], [200, { user: 'alice', disabled: false }]);
  assert.equal((await api(ts, app, 'GET', '/users/alice')).body.disabled, undefined);
  const back = await loggedInSdk(t, ts, app, 'alice', 'phone');
  assert.equal(back.c.state, 'connected');
  await connectSdk(t, ts.wsUrl, backendToken);
  assert.equal((await api(ts, app, 'POST', '/users/nobody/disable')).status, 404);
  assert.equal((await api(ts, app, 'POST', '/users/nobody/enable')).status, 404);
});

test("delete: the user's connections close (3503 \"user deleted\"); their messages stay, marked as from a deleted user; the id stays taken", async (t) => {
  const { ts, app } = await setup(t);
  const alice = await loggedIn(t, ts, app, 'alice', 'phone');
  const bob = await loggedIn(t, ts, app, 'bob', 'phone');
  await alice.xp.createChannel('room', { members: ['bob'] });
  const sent = await alice.xp.send('room', 'chat', { text: 'hello from alice' });
  await alice.xp.groupAdd('friends', ['bob']);
  await bob.xp.groupAdd('friends', ['alice']);
  const closed = waitFor('alice closed', () => alice.events.find((e) => e.name === 'disconnected' && (e.args[0] as { reconnecting: boolean }).reconnecting === false));

  const r = await api(ts, app, 'DELETE', '/users/alice');
  assert.deepEqual([r.status, r.body], [200, { deleted: true }]);
  const d = await closed;
  assert.deepEqual(d.args[0], { code: 3503, reason: 'user deleted', reconnecting: false });

  const page = await bob.xp.history('room', { limit: 10 });
  assert.equal(page.messages.length, 1, 'the message stays');
  assert.equal(page.messages[0]!.meta.user, 'alice');
  assert.equal(page.messages[0]!.meta.offset, sent.offset);
  assert.deepEqual(await bob.xp.users.get('alice'), { user: 'alice', profile: {}, deleted: true });
  assert.deepEqual(await bob.xp.members('room'), ['bob']);
  assert.equal((await api(ts, app, 'GET', '/channels/room')).body.owner, 'alice', 'channels the user owned stay');
  assert.deepEqual(await bob.xp.groupMembers('friends'), []);
  assert.deepEqual((await api(ts, app, 'GET', '/users/alice')).body, { user: 'alice', profile: {}, deleted: true });
  assert.deepEqual((await api(ts, app, 'GET', '/users?prefix=al')).body.users, []);

  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/users`, { user: 'alice', password: PASSWORD }, { 'x-app-key': app.key })).status, 409, 'nobody can take the id and pose as the author');
  assert.equal((await login(ts, app, 'alice', PASSWORD)).status, 401);
  assert.equal((await api(ts, app, 'POST', '/tokens', { user: 'alice' })).status, 401);
  assert.equal((await api(ts, app, 'POST', '/channels/room/members', { users: ['alice'] })).status, 400, 'cannot be added back');
  assert.equal((await api(ts, app, 'PATCH', '/users/alice', { profile: { n: 1 } })).status, 404);
  assert.equal((await api(ts, app, 'DELETE', '/users/alice')).status, 404);
  assert.equal((await api(ts, app, 'DELETE', '/users/nobody')).status, 404);
});

test('reset a password (backend): every session is revoked; only the new password logs in', async (t) => {
  const { ts, app } = await setup(t);
  const phone = await loggedInSdk(t, ts, app, 'alice', 'phone');
  const r = await api(ts, app, 'POST', '/users/alice/password', { password: 'brand-new-secret' });
  assert.deepEqual([r.status, r.body], [200, { revokedSessions: 1 }]);
  await waitFor('the phone closed', () => phone.closes.length === 1);
  assert.deepEqual(phone.closes, [{ code: 3503, reason: 'logged out', reconnecting: false }]);
  assert.equal((await login(ts, app, 'alice', 'correct-horse-1')).status, 401);
  assert.equal((await login(ts, app, 'alice', 'brand-new-secret')).status, 200);
  assert.equal((await api(ts, app, 'POST', '/users/alice/password', { password: 'short' })).status, 400);
  assert.equal((await api(ts, app, 'POST', '/users/nobody/password', { password: 'long-enough-1' })).status, 404);
});

test('change my password (XPush SDK): the old one is required; my other devices are logged out, this one stays', async (t) => {
  const { ts, app } = await setup(t);
  const phone = await loggedIn(t, ts, app, 'alice', 'phone');
  const laptop = await loggedIn(t, ts, app, 'alice', 'laptop');
  await phone.xp.createChannel('notes');

  await assert.rejects(phone.xp.changePassword('not-my-password', 'a-new-password-1'), (e: { code?: number }) => e.code === 101);
  await assert.rejects(phone.xp.changePassword(PASSWORD, 'short'), (e: { code?: number }) => e.code === 107);
  assert.equal(await phone.xp.changePassword(PASSWORD, 'a-new-password-1'), 1);
  const gone = await waitFor('the laptop logged out', () => laptop.events.find((e) => e.name === 'disconnected' && (e.args[0] as { reconnecting: boolean }).reconnecting === false));
  assert.deepEqual(gone.args[0], { code: 3503, reason: 'logged out', reconnecting: false });
  assert.equal(phone.xp.state, 'connected');
  assert.ok((await phone.xp.send('notes', 'n', { ok: true })).offset >= 1, 'this device keeps working');
  await phone.xp.refresh(); // its session lives on
  assert.equal((await login(ts, app, 'alice', PASSWORD)).status, 401);
  assert.equal((await login(ts, app, 'alice', 'a-new-password-1')).status, 200);
});

test('change my password: wrong old passwords are throttled like logins (111)', async (t) => {
  const ts = await startServer(t, { loginThrottle: { userIpFailures: 2 } });
  const app = await ts.createApp();
  const phone = await loggedIn(t, ts, app, 'alice', 'phone');
  for (let i = 0; i < 2; i++) await assert.rejects(phone.xp.changePassword('wrong-guess-' + i, 'a-new-password-1'), (e: { code?: number }) => e.code === 101);
  await assert.rejects(phone.xp.changePassword(PASSWORD, 'a-new-password-1'), (e: { code?: number; status?: number }) => e.code === 111 && e.status === 429);
  assert.equal((await login(ts, app, 'alice', PASSWORD)).status, 429, 'the same budget as logins: login from here waits too');
});

test('my devices (XPush SDK): list them with online state, log out another one; not a stranger\'s', async (t) => {
  const { ts, app } = await setup(t);
  const phone = await loggedIn(t, ts, app, 'alice', 'phone');
  const laptop = await loggedIn(t, ts, app, 'alice', 'laptop');
  const bob = await loggedIn(t, ts, app, 'bob', 'phone');
  const list = await phone.xp.devices();
  assert.deepEqual(list.map((d) => [d.device, d.online]).sort(), [['laptop', true], ['phone', true]]);
  const laptopSession = list.find((d) => d.device === 'laptop')!.session;
  assert.equal(laptopSession, laptop.xp.tokens?.session);

  await assert.rejects(bob.xp.revokeDevice(laptopSession), (e: { code?: number }) => e.code === 404);
  await assert.rejects(phone.xp.revokeDevice('no-such-session'), (e: { code?: number }) => e.code === 404);
  await phone.xp.revokeDevice(laptopSession);
  const gone = await waitFor('the laptop logged out', () => laptop.events.find((e) => e.name === 'disconnected' && (e.args[0] as { reconnecting: boolean }).reconnecting === false));
  assert.deepEqual(gone.args[0], { code: 3503, reason: 'logged out', reconnecting: false });
  assert.deepEqual((await phone.xp.devices()).map((d) => d.device), ['phone']);
  await assert.rejects(phone.xp.revokeDevice(laptopSession), (e: { code?: number }) => e.code === 404, 'already revoked');
  await assert.rejects(laptop.xp.refresh(), (e: { code?: number }) => e.code === 101);
});
