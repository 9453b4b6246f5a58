// POST /v1/apps/:app/disconnect: closing a connection, a user's connections or one device's, by
// the app secret, with the code and reason the client sees; every bad request refused and harmless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Centrifuge } from 'centrifuge';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api } from '../helpers/clients.ts';
import { connectSdk, tokenFor, waitFor } from './e2e-kit.ts';
import { loggedIn } from './sdk-kit.ts';

interface Watched {
  c: Centrifuge;
  client: string;
  /** Every disconnected/connecting event: code, reason, and whether the SDK reconnects. */
  drops: { code: number; reason: string; reconnecting: boolean }[];
}

async function connectAs(t: Parameters<typeof connectSdk>[0], ts: TestServer, app: TestApp, user: string, device: string): Promise<Watched> {
  const { c, ctx } = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, user, device), { minReconnectDelay: 50, maxReconnectDelay: 100 });
  const drops: Watched['drops'] = [];
  c.on('disconnected', (d) => drops.push({ code: d.code, reason: d.reason, reconnecting: false }));
  c.on('connecting', (d) => drops.push({ code: d.code, reason: d.reason, reconnecting: true }));
  return { c, client: ctx.client, drops };
}

test('disconnect: by client, by user, by user and device; the code and reason reach the client', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alicePhone = await connectAs(t, ts, app, 'alice', 'phone');
  const aliceLaptop = await connectAs(t, ts, app, 'alice', 'laptop');
  const bob = await connectAs(t, ts, app, 'bob', 'phone');
  const carolPhone = await connectAs(t, ts, app, 'carol', 'phone');
  const carolTab = await connectAs(t, ts, app, 'carol', 'tab');

  await t.test('one connection by client id: terminal 3503 by default, the SDK stays down', async () => {
    const r = await api(ts, app, 'POST', '/disconnect', { client: alicePhone.client });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { matched: 1, code: 3503, reason: 'force disconnect', reconnect: false });
    await waitFor('alice phone dropped', () => alicePhone.drops.length > 0);
    assert.deepEqual(alicePhone.drops, [{ code: 3503, reason: 'force disconnect', reconnecting: false }]);
    assert.equal(alicePhone.c.state, 'disconnected');
    assert.equal(aliceLaptop.c.state, 'connected');
  });

  await t.test('one device of a user, with a reconnect code: the SDK comes back by itself', async () => {
    const r = await api(ts, app, 'POST', '/disconnect', { user: 'carol', device: 'tab', code: 3011, reason: 'moving you' });
    assert.deepEqual(r.body, { matched: 1, code: 3011, reason: 'moving you', reconnect: true });
    await waitFor('carol tab reconnecting', () => carolTab.drops.length > 0);
    assert.deepEqual(carolTab.drops[0], { code: 3011, reason: 'moving you', reconnecting: true });
    await waitFor('carol tab back', () => carolTab.c.state === 'connected');
    assert.deepEqual(carolPhone.drops, []);
  });

  await t.test('every connection of a user, with an application code', async () => {
    const r = await api(ts, app, 'POST', '/disconnect', { user: 'alice', code: 4501, reason: 'banned' });
    assert.deepEqual(r.body, { matched: 1, code: 4501, reason: 'banned', reconnect: false });
    await waitFor('alice laptop dropped', () => aliceLaptop.drops.length > 0);
    assert.deepEqual(aliceLaptop.drops, [{ code: 4501, reason: 'banned', reconnecting: false }]);
    assert.equal(bob.c.state, 'connected');
  });

  await t.test('nothing matches: 0, and nobody is touched', async () => {
    const r = await api(ts, app, 'POST', '/disconnect', { user: 'nobody' });
    assert.deepEqual(r.body, { matched: 0, code: 3503, reason: 'force disconnect', reconnect: false });
    // client and user must both match: bob's client id with another user closes nothing.
    const r2 = await api(ts, app, 'POST', '/disconnect', { client: bob.client, user: 'carol' });
    assert.equal(r2.body.matched, 0);
    // Orders are applied in order: once this one is through, the ones above were too.
    await api(ts, app, 'POST', '/disconnect', { user: 'carol', device: 'phone' });
    await waitFor('carol phone dropped', () => carolPhone.drops.length > 0);
    assert.equal(bob.c.state, 'connected');
    assert.deepEqual(bob.drops, []);
  });
});

test('disconnect: bad requests are refused with 400/107 naming the problem and close nothing', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const other = await ts.createApp('other');
  const bob = await connectAs(t, ts, app, 'bob', 'phone');
  const bad = async (body: unknown, pattern: RegExp) => {
    const r = await api(ts, app, 'POST', '/disconnect', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.code, 107);
    assert.match(r.body.error.message, pattern);
  };
  await bad({}, /client .* or user/);
  await bad({ device: 'phone' }, /device needs user/);
  await bad({ client: bob.client, device: 'phone' }, /device needs user/);
  await bad({ user: 'bob', code: 2999 }, /code/);
  await bad({ user: 'bob', code: 5000 }, /code/);
  await bad({ user: 'bob', code: 3503.5 }, /code/);
  await bad({ user: 'bob', reason: 'é'.repeat(62) }, /reason: at most 123 bytes/);
  await bad({ user: 'bob', reason: 'x'.repeat(124) }, /reason/);
  await bad({ user: 'bob', reason: 'line\nbreak' }, /reason/);
  await bad({ user: 'bob', reason: '' }, /reason/);
  await bad({ user: 'bad user' }, /user/);
  await bad({ user: 'bob', extra: 1 }, /extra/);
  await bad({ client: 42 }, /client/);

  // Wrong credential, or another app's secret: 401, and the other app's order cannot reach bob.
  const wrong = await ts.http('POST', `/v1/apps/${app.id}/disconnect`, { user: 'bob' }, { 'x-api-key': other.secret });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.code, 101);
  const foreign = await api(ts, other, 'POST', '/disconnect', { client: bob.client });
  assert.equal(foreign.body.matched, 0);
  const foreignUser = await api(ts, other, 'POST', '/disconnect', { user: 'bob' });
  assert.equal(foreignUser.body.matched, 0);

  // A later order for this app goes through, so the earlier ones were applied (and closed nothing).
  const probe = await connectAs(t, ts, app, 'probe', 'x');
  await api(ts, app, 'POST', '/disconnect', { client: probe.client });
  await waitFor('probe dropped', () => probe.drops.length > 0);
  assert.equal(bob.c.state, 'connected');
  assert.deepEqual(bob.drops, []);
});

test('disconnect: the XPush SDK reports a kick as a final disconnect and does not reconnect', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await loggedIn(t, ts, app, 'alice', 'web');
  const client = alice.xp.client!;
  const r = await api(ts, app, 'POST', '/disconnect', { client, reason: 'kicked by an operator' });
  assert.equal(r.body.matched, 1);
  const ev = await waitFor('disconnected event', () => alice.events.find((e) => e.name === 'disconnected'));
  assert.deepEqual(ev.args[0], { code: 3503, reason: 'kicked by an operator', reconnecting: false });
  assert.equal(alice.xp.state, 'disconnected');
});
