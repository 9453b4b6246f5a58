// Issue 10 items 1, 2 and 4, end to end: a real server, the XPush SDK / centrifuge / HTTP on one side,
// the three provider fakes on the other (test/fakes). Bob is offline, alice writes; each of bob's
// devices gets one collapsed notification with his unread total as badge; while bob is online
// nothing is pushed; a token a provider calls gone is removed and never tried again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { XPush } from '../../src/client/index.ts';
import { api, sdkClient, userSession } from '../helpers/clients.ts';
import { waitFor } from '../e2e/e2e-kit.ts';
import { apnsToken, depth, quiet, register, startPushWorld, webpushBody, type PushWorld } from './kit.ts';

const PASSWORD = 'correct-horse-1';

function sdk(w: PushWorld): XPush {
  return new XPush({ url: w.ts.url, app: w.app.id, appKey: w.app.key, websocket: WebSocket });
}

async function alice(t: { after(fn: () => unknown): void }, w: PushWorld, members: string[], channel = 'lunch'): Promise<XPush> {
  const a = sdk(w);
  t.after(() => a.disconnect());
  await a.register('alice', PASSWORD);
  await a.login('alice', PASSWORD, 'laptop');
  await a.connect();
  await a.createChannel(channel, { members });
  return a;
}

test('bob offline: 3 messages → one collapsed notification per device with badge 3; none while he is online; a gone token is removed and never tried again', async (t) => {
  const w = await startPushWorld(t);
  const { ts, app } = w;
  // Bob's three devices register three ways: HTTP (phone, FCM), RPC on a connection (tablet, APNs), the SDK (browser, Web Push).
  const phone = await userSession(ts, app, 'bob', 'phone', PASSWORD);
  await register(ts, app, phone.accessToken, { kind: 'fcm', token: 'fcm-bob-phone' });
  const tablet = await userSession(ts, app, 'bob', 'tablet', PASSWORD);
  const c = await sdkClient(t, ts.wsUrl, tablet.accessToken);
  const viaRpc = (await c.rpc('push.register', { kind: 'apns', token: apnsToken(1), environment: 'sandbox' })).data;
  assert.deepEqual([viaRpc.kind, viaRpc.device, viaRpc.environment, viaRpc.hint], ['apns', 'tablet', 'sandbox', apnsToken(1).slice(-6)]);
  c.disconnect();
  const bob = sdk(w);
  t.after(() => bob.disconnect());
  await bob.login('bob', PASSWORD, 'browser');
  const sub = w.webpush.subscribe();
  assert.equal((await bob.registerPush(sub.json)).kind, 'webpush');
  assert.deepEqual((await api(ts, app, 'GET', '/users/bob/push')).body.targets.map((x: any) => [x.device, x.kind]).sort(),
    [['browser', 'webpush'], ['phone', 'fcm'], ['tablet', 'apns']]);

  const a = await alice(t, w, ['bob']);
  await a.send('lunch', 'message', { text: 'first' });
  await a.send('lunch', 'message', { text: 'second' });
  await a.send('lunch', 'message', { text: 'noodles at noon? 🍜' });
  await waitFor('one notification on each device', () => w.fcm.received.length >= 1 && w.apns.received.length >= 1 && w.webpush.received.length >= 1, 5000);
  await waitFor('an empty outbox', async () => (await depth(ts)) === 0, 5000);
  assert.equal(w.fcm.received.length, 1);
  assert.equal(w.apns.received.length, 1);
  assert.equal(w.webpush.received.length, 1);
  assert.deepEqual([...w.fcm.errors, ...w.apns.errors, ...w.webpush.errors], []);
  const f = w.fcm.received[0]!.message;
  assert.deepEqual(f.notification, { title: 'alice', body: 'noodles at noon? 🍜' });
  assert.deepEqual(f.data, { channel: 'lunch', offset: '3', event: 'message', sender: 'alice', badge: '3' });
  assert.equal(f.android.notification.notification_count, 3);
  const ap = w.apns.received[0]!;
  assert.equal(ap.token, apnsToken(1));
  assert.deepEqual(ap.body.aps.alert, { title: 'alice', body: 'noodles at noon? 🍜' });
  assert.equal(ap.body.aps.badge, 3);
  assert.equal(ap.headers['apns-collapse-id'], 'c:lunch');
  assert.deepEqual(w.webpush.received[0]!.payload, {
    title: 'alice', body: 'noodles at noon? 🍜', badge: 3, tag: 'c:lunch', data: { channel: 'lunch', offset: 3, event: 'message', sender: 'alice' },
  });

  // Bob connects on one device: nothing is pushed to any of them while he is online.
  await bob.connect();
  await a.send('lunch', 'message', { text: 'are you there?' });
  await a.send('lunch', 'message', { text: 'hello?' });
  await quiet(1200);
  assert.equal(await depth(ts), 0);
  assert.deepEqual([w.fcm.received.length, w.apns.received.length, w.webpush.received.length], [1, 1, 1]);

  // Offline again: the next message pushes, with the unread total now 6.
  bob.disconnect();
  await waitFor('bob offline', async () => (await ts.server.core.userPresence.online(app.id, ['bob'])).size === 0);
  await a.send('lunch', 'message', { text: 'lunch is ready' });
  await waitFor('second round', () => w.fcm.received.length === 2 && w.apns.received.length === 2 && w.webpush.received.length === 2, 5000);
  assert.equal(w.apns.received[1]!.body.aps.badge, 6);
  assert.equal(w.webpush.received[1]!.payload.body, 'lunch is ready');

  // The phone's FCM token dies: removed on the first UNREGISTERED, never tried again.
  w.fcm.answer('fcm-bob-phone', 'unregistered');
  await a.send('lunch', 'message', { text: 'anyone?' });
  await waitFor('the gone token removed', async () => !(await api(ts, app, 'GET', '/users/bob/push')).body.targets.some((x: any) => x.kind === 'fcm'), 5000);
  assert.equal(w.fcm.attempts.get('fcm-bob-phone'), 3);
  await waitFor('third round on the others', () => w.apns.received.length === 3 && w.webpush.received.length === 3, 5000);
  await a.send('lunch', 'message', { text: 'last call' });
  await waitFor('fourth round on the others', () => w.apns.received.length === 4 && w.webpush.received.length === 4, 5000);
  assert.equal(w.fcm.attempts.get('fcm-bob-phone'), 3, 'never tried again');
  const metrics = await ts.http('GET', '/metrics');
  assert.match(metrics.body, /xpush_push_pruned_total\{provider="fcm",reason="UNREGISTERED",node="[^"]*"\} [1-9]/);
  assert.match(metrics.body, /xpush_push_sent_total\{provider="apns",node="[^"]*"\} [1-9]/);
  assert.match(metrics.body, /xpush_push_provider_latency_seconds_count\{(node="[^"]*",)?provider="webpush"(,node="[^"]*")?\} [1-9]/);
});

test('push modes per member and channel: all, mentions (data.mentions), none, and the app default', async (t) => {
  const w = await startPushWorld(t, {}, { delayMs: 0, throttleMs: 0 });
  const { ts, app } = w;
  const bobLogin = await userSession(ts, app, 'bob', 'phone', PASSWORD);
  await register(ts, app, bobLogin.accessToken, { kind: 'fcm', token: 'fcm-bob' });
  const carolLogin = await userSession(ts, app, 'carol', 'phone', PASSWORD);
  await register(ts, app, carolLogin.accessToken, { kind: 'fcm', token: 'fcm-carol' });
  const a = await alice(t, w, ['bob', 'carol'], 'team');
  const bob = sdk(w);
  await bob.login('bob', PASSWORD, 'phone2');
  const bodies = (tok: string) => w.fcm.received.filter((r) => r.token === tok).map((r) => r.message.notification.body);

  assert.deepEqual(await bob.pushMode('team'), { channel: 'team', mode: 'all', isDefault: true });
  assert.deepEqual(await bob.setPushMode('team', 'mentions'), { channel: 'team', mode: 'mentions', isDefault: false });
  await a.send('team', 'message', { text: 'plain' });
  await a.send('team', 'message', { text: 'hey @bob', mentions: ['bob'] });
  await waitFor('carol gets both, bob the mention', () => bodies('fcm-carol').length === 2 && bodies('fcm-bob').length === 1, 5000);
  assert.deepEqual(bodies('fcm-bob'), ['hey @bob']);

  await bob.setPushMode('team', 'none');
  await a.send('team', 'message', { text: 'again @bob', mentions: ['bob'] });
  await waitFor('carol gets it', () => bodies('fcm-carol').length === 3, 5000);
  await waitFor('an empty outbox', async () => (await depth(ts)) === 0);
  assert.deepEqual(bodies('fcm-bob'), ['hey @bob']);

  // The app default turns to none: carol (no choice of her own) stops; bob back to the default too.
  await bob.setPushMode('team', 'default');
  const s = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { push: { defaultMode: 'none' } }, w.admin);
  assert.equal(s.body.settings.push.delayMs, 0, 'other push settings kept');
  ts.server.core.apps.forget(app.id);
  // Over RPC on a connection: the same modes.
  const c = await sdkClient(t, ts.wsUrl, carolLogin.accessToken);
  assert.deepEqual((await c.rpc('push.mode.get', { channel: 'team' })).data, { channel: 'team', mode: 'none', isDefault: true });
  assert.deepEqual((await c.rpc('push.mode.set', { channel: 'team', mode: 'all' })).data, { channel: 'team', mode: 'all', isDefault: false });
  c.disconnect();
  await waitFor('carol offline', async () => (await ts.server.core.userPresence.online(app.id, ['carol'])).size === 0);
  await a.send('team', 'message', { text: 'after the default changed' });
  await waitFor('carol (explicit all) gets it', () => bodies('fcm-carol').length === 4, 5000);
  await waitFor('an empty outbox', async () => (await depth(ts)) === 0);
  assert.deepEqual(bodies('fcm-bob'), ['hey @bob'], 'bob follows the default: none');

  // A channel the user is not in: refused, nothing stored.
  await a.createChannel('private', { members: [] });
  await assert.rejects(bob.setPushMode('private', 'all'), (e: any) => e.code === 103);
  await assert.rejects(bob.pushMode('nope'), (e: any) => e.code === 102);
});

test('retries: 429 waits the Retry-After, 5xx backs off, both then deliver once; a refused payload is dropped and the token kept', async (t) => {
  const w = await startPushWorld(t, {}, { delayMs: 0, throttleMs: 0 });
  const { ts, app } = w;
  const bob = await userSession(ts, app, 'bob', 'browser', PASSWORD);
  const sub = w.webpush.subscribe();
  await register(ts, app, bob.accessToken, webpushBody(sub));
  const phone = await userSession(ts, app, 'bob', 'phone', PASSWORD);
  await register(ts, app, phone.accessToken, { kind: 'fcm', token: 'fcm-bob' });
  w.webpush.answer(sub.id, 'throttle', 1);
  w.fcm.answer('fcm-bob', 'error500');
  const a = await alice(t, w, ['bob']);
  const sentAt = Date.now();
  await a.send('lunch', 'message', { text: 'hi' });
  await waitFor('first attempts', () => w.webpush.attempts.get(sub.id) === 1 && w.fcm.attempts.get('fcm-bob') === 1, 5000);
  w.webpush.answer(sub.id, 'ok');
  w.fcm.answer('fcm-bob', 'ok');
  await waitFor('delivered after the retry', () => w.webpush.received.length === 1 && w.fcm.received.length === 1, 5000);
  assert.ok(w.webpush.received[0]!.at - sentAt >= 1000, `Retry-After: 1 honoured (${w.webpush.received[0]!.at - sentAt} ms)`);
  await waitFor('an empty outbox', async () => (await depth(ts)) === 0);
  assert.equal(w.webpush.attempts.get(sub.id), 2);
  assert.equal(w.fcm.attempts.get('fcm-bob'), 2);

  // FCM says our payload is invalid: logged and dropped, the token stays.
  w.fcm.answer('fcm-bob', 'badPayload');
  await a.send('lunch', 'message', { text: 'again' });
  await waitFor('the refusal', () => w.fcm.attempts.get('fcm-bob') === 3, 5000);
  await waitFor('an empty outbox', async () => (await depth(ts)) === 0);
  assert.ok((await api(ts, app, 'GET', '/users/bob/push')).body.targets.some((x: any) => x.kind === 'fcm'), 'token kept');
  const m = (await ts.http('GET', '/metrics')).body as string;
  assert.match(m, /xpush_push_failed_total\{provider="webpush",reason="http_429",node="[^"]*"\} [1-9]/);
  assert.match(m, /xpush_push_failed_total\{provider="fcm",reason="INTERNAL",node="[^"]*"\} [1-9]/);
  assert.match(m, /xpush_push_failed_total\{provider="fcm",reason="google_rpc_BadRequest|INVALID_ARGUMENT",node="[^"]*"\} [1-9]/);
});

test('per-user cap: beyond push.maxPerUserPerMinute notifications wait in the outbox instead of going out', async (t) => {
  const w = await startPushWorld(t, {}, { delayMs: 0, throttleMs: 0, maxPerUserPerMinute: 2 });
  const { ts, app } = w;
  const bob = await userSession(ts, app, 'bob', 'phone', PASSWORD);
  await register(ts, app, bob.accessToken, { kind: 'fcm', token: 'fcm-bob' });
  const a = await alice(t, w, ['bob'], 'one');
  await a.createChannel('two', { members: ['bob'] });
  await a.createChannel('three', { members: ['bob'] });
  for (const ch of ['one', 'two', 'three']) await a.send(ch, 'message', { text: ch });
  await waitFor('two notifications', () => w.fcm.received.length === 2, 5000);
  await quiet(800);
  assert.equal(w.fcm.received.length, 2);
  assert.equal(await depth(ts), 1, 'the third waits for the window');
});

test('a user who connects while a notification waits in the outbox does not get it', async (t) => {
  const w = await startPushWorld(t, {}, { delayMs: 1500 });
  const { ts, app } = w;
  const phone = await userSession(ts, app, 'bob', 'phone', PASSWORD);
  await register(ts, app, phone.accessToken, { kind: 'fcm', token: 'fcm-bob' });
  const a = await alice(t, w, ['bob']);
  await a.send('lunch', 'message', { text: 'queued' });
  await waitFor('queued', async () => (await depth(ts)) === 1);
  await sdkClient(t, ts.wsUrl, phone.accessToken);
  await waitFor('dropped at send time', async () => (await depth(ts)) === 0, 5000);
  assert.equal(w.fcm.attempts.size, 0);
});
