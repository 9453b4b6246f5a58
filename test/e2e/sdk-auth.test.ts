// XPush SDK auth: token refresh before expiry, logout, tokens minted by the app backend, failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from '../helpers/server.ts';
import { XPush, XPushError } from '../../src/client/index.ts';
import { client, loggedIn, offsetsOf, PASSWORD, range, sleep, waitFor } from './sdk-kit.ts';

test('tokens are refreshed before expiry and the connection keeps delivering', async (t) => {
  const srv = await startServer(t, { accessTokenTtlSec: 3 });
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  const bob = await loggedIn(t, srv, app, 'bob', 'phone');
  await alice.xp.createChannel('room', { members: ['bob'] });
  await waitFor('bob subscribed', () => bob.events.some((e) => e.name === 'subscribed' && e.args[0] === 'room'));
  const firstToken = bob.xp.tokens!.accessToken;
  const renewals: { at: number; expiresAt: number }[] = [{ at: Date.now(), expiresAt: bob.xp.tokens!.expiresAt }];
  bob.xp.on('tokens', (tk) => renewals.push({ at: Date.now(), expiresAt: tk.expiresAt }));

  // 8 s = more than two token lifetimes; a message every 400 ms.
  const total = 20;
  for (let i = 1; i <= total; i++) {
    await alice.xp.send('room', 'tick', i);
    await sleep(400);
  }
  await waitFor('all ticks', () => bob.messages.length >= total);
  assert.deepEqual(offsetsOf(bob.messages, 'room'), range(1, total));
  const refreshes = bob.events.filter((e) => e.name === 'tokens').length - 1; // the first is login
  assert.ok(refreshes >= 2, `refreshed ${refreshes} times`);
  assert.notEqual(bob.xp.tokens!.accessToken, firstToken);
  assert.equal(bob.xp.state, 'connected');
  const drops = bob.events.filter((e) => e.name === 'disconnected').map((e) => e.args[0]);
  assert.deepEqual(drops, [], 'refreshed in time: no disconnect');
  // Each token was renewed at least half a second before it expired.
  for (let i = 1; i < renewals.length; i++) {
    assert.ok(renewals[i].at < renewals[i - 1].expiresAt - 500, `renewal ${i}: ${renewals[i - 1].expiresAt - renewals[i].at} ms before expiry`);
  }
  // An explicit refresh works too and rotates the refresh token.
  const before = bob.xp.tokens!;
  const after = await bob.xp.refresh();
  assert.notEqual(after.refreshToken, before.refreshToken);
});

test('logout ends that device only; its tokens stop working', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const phone = await loggedIn(t, srv, app, 'alice', 'phone');
  const laptop = await loggedIn(t, srv, app, 'alice', 'laptop');
  const old = phone.xp.tokens!;

  await phone.xp.logout();
  assert.equal(phone.xp.tokens, null);
  assert.equal(phone.xp.state, 'disconnected');
  await sleep(300);
  assert.equal(laptop.xp.state, 'connected');
  assert.ok(!laptop.events.some((e) => e.name === 'disconnected'));

  // The old refresh token is refused; so is the old access token on a new connection.
  const again = client(t, srv, app);
  again.xp.useTokens(old);
  await assert.rejects(again.xp.refresh(), (e: XPushError) => e instanceof XPushError && e.status === 401);
  const stale = client(t, srv, app);
  stale.xp.useToken(old.accessToken);
  await assert.rejects(stale.xp.connect(), (e: XPushError) => e.code === 3500);
});

test('a connection closed by logout on the server side stops reconnecting', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const phone = await loggedIn(t, srv, app, 'alice', 'phone');
  // Another client holding the same session logs it out: the phone's socket closes with 3503.
  const other = client(t, srv, app);
  other.xp.useTokens(phone.xp.tokens!);
  await other.xp.logout();
  const d = await waitFor('phone disconnected', () => phone.events.find((e) => e.name === 'disconnected'));
  assert.deepEqual(d.args[0], { code: 3503, reason: 'logged out', reconnecting: false });
  await sleep(700);
  assert.equal(phone.xp.state, 'disconnected');
});

test('login failures: wrong password, unknown user, wrong app key', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const a = client(t, srv, app);
  await a.xp.register('alice', PASSWORD, { name: 'Alice' });
  await assert.rejects(a.xp.register('alice', PASSWORD), (e: XPushError) => e.status === 409);
  await assert.rejects(a.xp.login('alice', 'wrong-password', 'phone'), (e: XPushError) => e.status === 401);
  await assert.rejects(a.xp.login('nobody', PASSWORD, 'phone'), (e: XPushError) => e.status === 401);
  const badKey = new XPush({ url: srv.url, app: app.id, appKey: 'not-the-key', websocket: WebSocket });
  await assert.rejects(badKey.login('alice', PASSWORD, 'phone'), (e: XPushError) => e.status === 401);
  await assert.rejects(a.xp.connect(), (e: XPushError) => e.code === 101);
});

test('a token minted by the app backend, with a getToken for renewal', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  let minted = 0;
  const mint = async () => {
    minted++;
    const r = await srv.http('POST', `/v1/apps/${app.id}/tokens`, { user: 'svc-user', device: 'kiosk', ttlSec: 3 }, { 'x-api-key': app.secret });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.token as string;
  };
  const r = client(t, srv, app, { appKey: undefined });
  r.xp.useToken(await mint(), mint);
  const info = await r.xp.connect();
  assert.equal(info.user, 'svc-user');
  assert.equal(info.device, 'kiosk');
  assert.equal(r.xp.user, 'svc-user');

  const created = await srv.http('POST', `/v1/apps/${app.id}/channels`, { channel: 'alerts', members: ['svc-user'] }, { 'x-api-key': app.secret });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitFor('subscribed', () => r.events.some((e) => e.name === 'subscribed' && e.args[0] === 'alerts'));
  await sleep(3500); // past the first token's expiry
  const pub = await srv.http('POST', `/v1/apps/${app.id}/publish`, { channel: 'alerts', event: 'alert', data: { level: 2 }, id: 'a-1' }, { 'x-api-key': app.secret });
  assert.equal(pub.status, 200, JSON.stringify(pub.body));
  await waitFor('alert', () => r.messages.length === 1);
  assert.equal(r.messages[0].event, 'alert');
  assert.equal(r.messages[0].meta.id, 'a-1');
  assert.ok(minted >= 2, `minted ${minted}`);
});
