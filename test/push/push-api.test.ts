// Issue 10 items 1–3 over the HTTP API: registering and removing targets (and every refusal), logout
// dropping the device's targets, the backend's data-only push and target list, the VAPID key, and
// provider credentials through the admin API with secrets never shown again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, userSession } from '../helpers/clients.ts';
import { tokenFor, waitFor } from '../e2e/e2e-kit.ts';
import { apnsToken, depth, register, startPushWorld, webpushBody } from './kit.ts';

const PASSWORD = 'correct-horse-1';

test('registering targets: one per provider per device, replaced by a new token; refusals change nothing; logout removes the device\'s targets', async (t) => {
  const w = await startPushWorld(t);
  const { ts, app } = w;
  const phone = await userSession(ts, app, 'bob', 'phone', PASSWORD);
  const auth = { authorization: `Bearer ${phone.accessToken}` };
  const first = await register(ts, app, phone.accessToken, { kind: 'fcm', token: 'fcm-1' });
  const second = await register(ts, app, phone.accessToken, { kind: 'fcm', token: 'fcm-2' });
  assert.notEqual(first.id, second.id);
  await register(ts, app, phone.accessToken, { kind: 'apns', token: apnsToken(7).toUpperCase() });
  const mine = (await ts.http('GET', `/v1/apps/${app.id}/me/push`, undefined, auth)).body.targets;
  assert.deepEqual(mine.map((x: any) => [x.kind, x.hint, x.environment]), [['apns', apnsToken(7).slice(-6), 'production'], ['fcm', 'fcm-2', undefined]]);

  const sub = w.webpush.subscribe();
  const bad: [unknown, RegExp][] = [
    [{ kind: 'fcm' }, /token: required/],
    [{ kind: 'fcm', token: 'x', subscription: sub.json }, /subscription: not used with kind fcm/],
    [{ kind: 'apns', token: 'not-hex' }, /hex/],
    [{ kind: 'webpush' }, /subscription: required/],
    [{ kind: 'webpush', subscription: { ...sub.json, endpoint: sub.json.endpoint.replace('https:', 'http:') } }, /https/],
    [{ kind: 'webpush', subscription: { ...sub.json, endpoint: 'https://10.0.0.1/push/x' } }, /not a known push service/],
    [{ kind: 'webpush', subscription: { ...sub.json, keys: { ...sub.json.keys, p256dh: 'A'.repeat(86) } } }, /65-byte/],
    [{ kind: 'sms', token: 'x' }, /kind/],
  ];
  for (const [body, msg] of bad) {
    const r = await ts.http('PUT', `/v1/apps/${app.id}/me/push`, body, auth);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.code, 107);
    assert.match(r.body.error.message, msg);
  }
  assert.equal((await ts.http('PUT', `/v1/apps/${app.id}/me/push`, { kind: 'fcm', token: 'x' })).status, 401);
  assert.equal((await api(ts, app, 'GET', '/users/bob/push')).body.targets.length, 2, 'refusals stored nothing');
  // A backend-minted token without a device registers for the device "default" (as it connects).
  const noDevice = (await api(ts, app, 'POST', '/tokens', { user: 'bob' })).body.token;
  assert.equal((await register(ts, app, noDevice, { kind: 'fcm', token: 'fcm-x' })).device, 'default');

  // One kind, then logout removes the rest.
  assert.deepEqual((await ts.http('DELETE', `/v1/apps/${app.id}/me/push?kind=apns`, undefined, auth)).body, { removed: 1 });
  const laptop = await userSession(ts, app, 'bob', 'laptop', PASSWORD);
  await register(ts, app, laptop.accessToken, webpushBody(sub));
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/auth/logout`, {}, auth)).status, 200);
  assert.deepEqual((await api(ts, app, 'GET', '/users/bob/push')).body.targets.map((x: any) => x.device), ['default', 'laptop']);

  // The backend removes one target; an unknown one is 404.
  const id = (await api(ts, app, 'GET', '/users/bob/push')).body.targets[0].id;
  assert.equal((await api(ts, app, 'DELETE', `/users/bob/push/${id}`)).status, 200);
  assert.equal((await api(ts, app, 'DELETE', `/users/bob/push/${id}`)).status, 404);
  assert.equal((await ts.http('GET', `/v1/apps/${app.id}/users/bob/push`, undefined, { 'x-api-key': 'wrong' })).status, 401);
});

test('data-only push from the backend reaches every device of the users; offlineOnly skips online users; size and input refused', async (t) => {
  const w = await startPushWorld(t);
  const { ts, app } = w;
  const bob = await userSession(ts, app, 'bob', 'phone', PASSWORD);
  await register(ts, app, bob.accessToken, { kind: 'fcm', token: 'fcm-bob' });
  const tab = await userSession(ts, app, 'bob', 'tablet', PASSWORD);
  await register(ts, app, tab.accessToken, { kind: 'apns', token: apnsToken(2) });
  const sub = w.webpush.subscribe();
  const lap = await userSession(ts, app, 'carol', 'laptop', PASSWORD);
  await register(ts, app, lap.accessToken, webpushBody(sub));

  const r = await api(ts, app, 'POST', '/push', { users: ['bob', 'carol', 'nobody'], data: { kind: 'sync', rev: 42 } });
  assert.deepEqual(r.body, { queued: 3 });
  await waitFor('all three devices', () => w.fcm.received.length === 1 && w.apns.received.length === 1 && w.webpush.received.length === 1, 5000);
  assert.equal(w.fcm.received[0]!.message.notification, undefined);
  assert.deepEqual(w.fcm.received[0]!.message.data, { kind: 'sync', rev: '42' });
  assert.deepEqual(w.apns.received[0]!.body, { kind: 'sync', rev: 42, aps: { 'content-available': 1 } });
  assert.equal(w.apns.received[0]!.headers['apns-push-type'], 'background');
  assert.deepEqual(w.webpush.received[0]!.payload, { data: { kind: 'sync', rev: 42 } });

  // offlineOnly: carol is online, so only bob's devices.
  const { sdkClient } = await import('../helpers/clients.ts');
  await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'carol', 'laptop'));
  assert.deepEqual((await api(ts, app, 'POST', '/push', { users: ['bob', 'carol'], data: { n: 2 }, offlineOnly: true })).body, { queued: 2 });
  await waitFor('bob twice', () => w.fcm.received.length === 2 && w.apns.received.length === 2, 5000);
  await waitFor('an empty outbox', async () => (await depth(ts)) === 0);
  assert.equal(w.webpush.received.length, 1);

  const big = await api(ts, app, 'POST', '/push', { users: ['bob'], data: { blob: 'x'.repeat(3000) } });
  assert.equal(big.status, 413);
  assert.equal(big.body.error.code, 106);
  for (const body of [{ users: [], data: {} }, { users: ['bob'] }, { users: ['bob'], data: 'text' }, { users: ['bob'], data: {}, collapseKey: 'bad key!' }]) {
    assert.equal((await api(ts, app, 'POST', '/push', body)).status, 400, JSON.stringify(body));
  }
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/push`, { users: ['bob'], data: {} }, { 'x-api-key': 'nope' })).status, 401);
});

test('provider credentials: admin only, secrets never returned (fingerprints instead), bad keys refused; VAPID key for browsers', async (t) => {
  const w = await startPushWorld(t);
  const { ts, app, admin } = w;
  const list = await ts.http('GET', `/v1/admin/apps/${app.id}/push`, undefined, admin);
  assert.equal(list.status, 200);
  const text = JSON.stringify(list.body);
  assert.ok(!text.includes('PRIVATE KEY'), 'no private key in the answer');
  const byKind = Object.fromEntries(list.body.providers.map((p: any) => [p.provider, p]));
  assert.deepEqual(Object.keys(byKind).sort(), ['apns', 'fcm', 'webpush']);
  assert.match(byKind.fcm.secrets.privateKey, /^sha256:[0-9a-f]{16}$/);
  assert.equal(byKind.fcm.config.projectId, w.fcm.projectId);
  assert.match(byKind.apns.secrets.key, /^sha256:/);
  assert.equal(byKind.apns.config.teamId, w.apns.credentials.teamId);
  const vapid = await ts.http('GET', `/v1/apps/${app.id}/push/vapid`, undefined, { 'x-app-key': app.key });
  assert.equal(vapid.body.publicKey, byKind.webpush.config.publicKey);
  assert.equal(Buffer.from(vapid.body.publicKey, 'base64url').length, 65);
  assert.equal((await ts.http('GET', `/v1/apps/${app.id}/push/vapid`)).status, 401);
  assert.ok(!JSON.stringify(byKind.webpush).includes(String((await ts.server.core.store.push.credentials(app.id)).find((c) => c.provider === 'webpush')!.secret.privateKey)));

  // Every new app has its own VAPID pair from creation.
  const other = await ts.createApp('other');
  const v2 = await ts.http('GET', `/v1/apps/${other.id}/push/vapid`, undefined, { 'x-app-key': other.key });
  assert.notEqual(v2.body.publicKey, vapid.body.publicKey);

  const refusals: [string, string, unknown, Record<string, string>, number][] = [
    ['PUT', 'fcm', { serviceAccount: { ...w.fcm.serviceAccount, private_key: '-----BEGIN PRIVATE KEY-----\n' + 'A'.repeat(200) + '\n-----END PRIVATE KEY-----' } }, admin, 400],
    ['PUT', 'apns', { ...w.apns.credentials, key: w.fcm.serviceAccount.private_key }, admin, 400],
    ['PUT', 'apns', { ...w.apns.credentials, keyId: 'short' }, admin, 400],
    ['PUT', 'webpush', { publicKey: byKind.webpush.config.publicKey }, admin, 400],
    ['PUT', 'webpush', { subject: 'ops@example.com' }, admin, 400],
    ['PUT', 'fcm', { serviceAccount: w.fcm.serviceAccount }, {}, 401],
    ['GET', '', undefined, { authorization: 'Bearer wrong' }, 401],
  ];
  for (const [method, provider, body, headers, status] of refusals) {
    const r = await ts.http(method, `/v1/admin/apps/${app.id}/push${provider ? '/' + provider : ''}`, body, headers);
    assert.equal(r.status, status, `${method} ${provider} ${JSON.stringify(r.body)}`);
  }
  assert.equal((await ts.http('PUT', '/v1/admin/apps/app_nope/push/webpush', {}, admin)).status, 404);
  const after = await ts.http('GET', `/v1/admin/apps/${app.id}/push`, undefined, admin);
  assert.deepEqual(after.body, list.body, 'refusals changed nothing');

  // Removing a provider stops its pushes; removing it twice is 404.
  assert.equal((await ts.http('DELETE', `/v1/admin/apps/${app.id}/push/apns`, undefined, admin)).status, 200);
  assert.equal((await ts.http('DELETE', `/v1/admin/apps/${app.id}/push/apns`, undefined, admin)).status, 404);
  const tab = await userSession(ts, app, 'bob', 'tablet', PASSWORD);
  await register(ts, app, tab.accessToken, { kind: 'apns', token: apnsToken(3) });
  await api(ts, app, 'POST', '/push', { users: ['bob'], data: { n: 1 } });
  await waitFor('an empty outbox', async () => (await depth(ts)) === 0);
  assert.equal(w.apns.attempts.size, 0);
});

test('the SDK: vapidPublicKey, registerPush (a PushSubscription object), pushTargets, unregisterPush; logout drops the targets', async (t) => {
  const w = await startPushWorld(t);
  const { ts, app } = w;
  const { XPush } = await import('../../src/client/index.ts');
  const bob = new XPush({ url: ts.url, app: app.id, appKey: app.key });
  await bob.register('bob', PASSWORD);
  await bob.login('bob', PASSWORD, 'browser');
  const key = await bob.vapidPublicKey();
  assert.equal(key, (await ts.http('GET', `/v1/apps/${app.id}/push/vapid`, undefined, { 'x-app-key': app.key })).body.publicKey);
  const sub = w.webpush.subscribe();
  // What pushManager.subscribe() resolves with: an object whose toJSON() is the wire shape.
  const pushSubscription = { endpoint: sub.json.endpoint, toJSON: () => sub.json };
  const view = await bob.registerPush(pushSubscription);
  assert.deepEqual([view.kind, view.device, view.hint], ['webpush', 'browser', '127.0.0.1']);
  await bob.registerPush({ kind: 'fcm', token: 'fcm-browser' });
  assert.deepEqual((await bob.pushTargets()).map((x) => x.kind), ['fcm', 'webpush']);
  assert.equal(await bob.unregisterPush('fcm'), 1);
  assert.deepEqual((await bob.pushTargets()).map((x) => x.kind), ['webpush']);
  await assert.rejects(bob.registerPush({ kind: 'apns', token: 'xyz' }), (e: any) => e.code === 107);
  await bob.logout();
  assert.deepEqual((await api(ts, app, 'GET', '/users/bob/push')).body.targets, []);
  await assert.rejects(bob.pushTargets(), (e: any) => e.code === 101);
});
