// Issue 11, item 2: webhooks. A receiver written with plain node:http gets every event type in signed
// batches, sees a batch retried after answering 500, and the admin API shows each attempt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, sdkClient } from '../helpers/clients.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';
import { emitPushFailed } from '../../src/webhooks/events.ts';
import { tokenFor, waitFor } from './e2e-kit.ts';

const admin = (ts: TestServer) => ({ authorization: `Bearer ${ts.adminToken}` });
const FAST = { presenceDelayMs: 300, webhookDelivery: { pollMs: 50, retryBaseMs: 150 } };

async function setWebhooks(ts: TestServer, app: TestApp, webhooks: Record<string, unknown>): Promise<void> {
  const r = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { webhooks }, admin(ts));
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function ok(p: Promise<{ status: number; body: any }>, status = 200): Promise<any> {
  const r = await p;
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}

test('a receiver gets every event type, signed, with unique ids; nothing is queued for apps without a URL', { timeout: 30_000 }, async (t) => {
  const ts = await startServer(t, FAST);
  const app = await ts.createApp();
  const quiet = await ts.createApp('no-webhooks');
  const rx = await startReceiver(t, () => app.secret);
  await setWebhooks(ts, app, { url: rx.url, publishedChannels: ['orders:'], maxWaitMs: 100 });

  const aliceToken = await tokenFor(ts, app, 'alice');
  await tokenFor(ts, app, 'bob');
  await ok(api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice'] }), 201);
  await ok(api(ts, app, 'POST', '/channels/room/members', { users: ['bob'] }));
  await ok(api(ts, app, 'DELETE', '/channels/room/members', { users: ['bob'] }));
  await ok(api(ts, app, 'POST', '/channels', { channel: 'orders:1', type: 'open' }), 201);

  const c = await sdkClient(t, ts.wsUrl, aliceToken);
  const sub = c.newSubscription('room');
  sub.subscribe();
  await sub.ready(3000);
  const pub = await ok(api(ts, app, 'POST', '/publish', { channel: 'orders:1', event: 'created', data: { total: 12 } }));
  await ok(api(ts, app, 'POST', '/publish', { channel: 'room', data: { not: 'opted in' } }));
  emitPushFailed(ts.server.core, app.id, { user: 'bob', device: 'phone', provider: 'fcm', reason: 'token unregistered', permanent: true });
  sub.unsubscribe();
  await waitFor('channel.vacated', () => rx.ofType('channel.vacated').length === 1, 5000);
  c.disconnect();
  await waitFor('user.offline', () => rx.ofType('user.offline').length === 1, 5000);

  const data = (type: string) => rx.ofType(type).map((e) => e.data);
  assert.deepEqual(data('member.added'), [{ channel: 'room', user: 'alice' }, { channel: 'room', user: 'bob' }]);
  assert.deepEqual(data('member.removed'), [{ channel: 'room', user: 'bob' }]);
  assert.deepEqual(data('user.online'), [{ user: 'alice' }]);
  assert.deepEqual(data('user.offline'), [{ user: 'alice' }]);
  assert.deepEqual(data('channel.occupied'), [{ channel: 'room' }]);
  assert.deepEqual(data('channel.vacated'), [{ channel: 'room' }]);
  assert.deepEqual(data('push.failed'), [{ user: 'bob', device: 'phone', provider: 'fcm', reason: 'token unregistered', permanent: true }]);
  const [published] = data('message.published');
  assert.equal(data('message.published').length, 1, 'only channels with an opted-in prefix');
  assert.deepEqual({ ...published, time: 0 }, { channel: 'orders:1', offset: 1, id: pub.id, event: 'created', data: { total: 12 }, user: '', device: '', client: '', time: 0 });

  const all = rx.accepted();
  assert.equal(new Set(all.map((e) => e.type)).size, 8, 'every event type');
  assert.equal(rx.batches.length, new Set(rx.batches.map((b) => b.delivery)).size, 'one delivery id per POST');
  assert.ok(rx.batches.every((b) => b.signed), 'every batch verifies with the docs check');
  assert.ok(rx.batches.some((b) => b.events.length > 1), 'events share batches');
  assert.ok(all.every((e) => e.attempt === 1 && typeof e.time === 'number' && /^[0-9a-f-]{36}$/.test(e.id)));
  const [req] = rx.backend.requests;
  assert.equal(req!.headers['content-type'], 'application/json');
  assert.equal(req!.headers['x-xpush-delivery'], rx.batches[0]!.delivery);
  assert.equal(req!.body.app, app.id);
  // The other app never had a URL: nothing queued, nothing logged.
  assert.deepEqual((await ok(ts.http('GET', `/v1/admin/apps/${quiet.id}/webhooks`, undefined, admin(ts)))), { pending: 0, deliveries: [] });
  // Event filter: a type left out of `events` is not sent.
  await setWebhooks(ts, app, { events: ['member.removed'] });
  ts.server.core.apps.forget(app.id);
  await ok(api(ts, app, 'POST', '/channels/room/members', { users: ['bob'] }));
  await ok(api(ts, app, 'DELETE', '/channels/room/members', { users: ['bob'] }));
  await waitFor('second member.removed', () => rx.ofType('member.removed').length === 2, 5000);
  assert.equal(rx.ofType('member.added').length, 2, 'member.added is filtered out now');
});

test('a batch answered 500 twice is retried with backoff and the same event ids; the delivery log shows each attempt', { timeout: 30_000 }, async (t) => {
  const ts = await startServer(t, FAST);
  const app = await ts.createApp();
  const rx = await startReceiver(t, () => app.secret, (n) => (n < 2 ? 500 : 200));
  await setWebhooks(ts, app, { url: rx.url, maxWaitMs: 50 });
  await tokenFor(ts, app, 'alice');
  await ok(api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice'] }), 201);
  await waitFor('third attempt', () => rx.batches.length === 3, 8000);
  const [a, b, c] = rx.batches;
  assert.deepEqual([a!.status, b!.status, c!.status], [500, 500, 200]);
  assert.deepEqual(b!.events.map((e) => e.id), a!.events.map((e) => e.id), 'the same events');
  assert.deepEqual(c!.events.map((e) => e.id), a!.events.map((e) => e.id));
  assert.deepEqual(c!.events.map((e) => e.attempt), [3]);
  assert.ok(b!.at - a!.at >= 100, `first retry after ~150 ms (${b!.at - a!.at})`);
  assert.ok(c!.at - b!.at >= 200, `second retry after ~300 ms (${c!.at - b!.at})`);
  assert.equal(new Set([a!.delivery, b!.delivery, c!.delivery]).size, 3, 'each attempt is a new delivery');

  const log = await waitFor('log of 3', async () => {
    const l = await ok(ts.http('GET', `/v1/admin/apps/${app.id}/webhooks`, undefined, admin(ts)));
    return l.deliveries.length === 3 ? l : undefined;
  });
  assert.equal(log.pending, 0);
  assert.deepEqual(log.deliveries.map((d: any) => [d.status, d.ok, d.attempt, d.error]), [[200, true, 3, null], [500, false, 2, 'HTTP 500'], [500, false, 1, 'HTTP 500']]);
  assert.deepEqual(log.deliveries[0].eventIds, a!.events.map((e) => e.id));
  assert.equal(log.deliveries[0].url, rx.url);
  assert.ok(log.deliveries.every((d: any) => d.latencyMs >= 0 && d.at > 0));
  assert.equal((await ts.http('GET', `/v1/admin/apps/${app.id}/webhooks`)).status, 401, 'admin only');
  assert.equal((await ts.http('GET', '/v1/admin/apps/app_nope/webhooks', undefined, admin(ts))).status, 404);
});

test('no answer in time and refused connections are failed attempts (status 0); a full batch goes before maxWaitMs', { timeout: 30_000 }, async (t) => {
  const ts = await startServer(t, { ...FAST, webhookDelivery: { pollMs: 50, retryBaseMs: 60_000, timeoutMs: 300 } });
  const app = await ts.createApp();
  const rx = await startReceiver(t, () => app.secret, () => 'hang');
  await setWebhooks(ts, app, { url: rx.url, maxWaitMs: 0 });
  await tokenFor(ts, app, 'alice');
  await ok(api(ts, app, 'POST', '/channels', { channel: 'a', members: ['alice'] }), 201);
  const logOf = async () => (await ok(ts.http('GET', `/v1/admin/apps/${app.id}/webhooks`, undefined, admin(ts)))) as any;
  const hung = await waitFor('timed-out attempt', async () => { const l = await logOf(); return l.deliveries[0]; }, 5000);
  assert.deepEqual([hung.status, hung.ok, hung.error], [0, false, 'no answer within 300 ms']);
  assert.ok(hung.latencyMs >= 250);
  assert.equal((await logOf()).pending, 1, 'still queued, waiting for its retry');

  const closedPort = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
  await setWebhooks(ts, app, { url: `http://127.0.0.1:${closedPort}/closed`, maxWaitMs: 0 });
  ts.server.core.apps.forget(app.id);
  await ok(api(ts, app, 'POST', '/channels', { channel: 'b', members: ['alice'] }), 201);
  const refused = await waitFor('refused attempt', async () => (await logOf()).deliveries.find((d: any) => d.url.includes(`:${closedPort}/`)), 5000);
  assert.deepEqual([refused.status, refused.ok], [0, false]);
  assert.match(refused.error, /^unreachable: ECONNREFUSED/);

  // maxBatch 3 with a long maxWaitMs: three events go at once, the fourth waits.
  const rx2 = await startReceiver(t, () => app.secret);
  await setWebhooks(ts, app, { url: rx2.url, maxBatch: 3, maxWaitMs: 60_000 });
  ts.server.core.apps.forget(app.id);
  for (const u of ['u1', 'u2', 'u3', 'u4']) await tokenFor(ts, app, u);
  await ok(api(ts, app, 'POST', '/channels', { channel: 'c', members: ['u1', 'u2', 'u3', 'u4'] }), 201);
  await waitFor('a full batch', () => rx2.batches.length === 1, 5000);
  assert.equal(rx2.batches[0]!.events.length, 3);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(rx2.batches.length, 1, 'the fourth event waits for maxWaitMs');
  // Bad settings are refused.
  for (const webhooks of [{ url: 'mailto:x' }, { maxBatch: 0 }, { events: ['user.teleported'] }]) {
    assert.equal((await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { webhooks }, admin(ts))).status, 400, JSON.stringify(webhooks));
  }
});

test('events still queued when the URL is cleared are dropped when they fall due; nothing new is queued', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t, FAST);
  const app = await ts.createApp();
  const rx = await startReceiver(t, () => app.secret, () => 500);
  await setWebhooks(ts, app, { url: rx.url, maxWaitMs: 0 });
  await tokenFor(ts, app, 'alice');
  await ok(api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice'] }), 201);
  await waitFor('a refused attempt', () => rx.batches.length >= 1, 5000);
  await setWebhooks(ts, app, { url: '' });
  const pending = async () => (await ok(ts.http('GET', `/v1/admin/apps/${app.id}/webhooks`, undefined, admin(ts)))).pending;
  await waitFor('queue emptied', async () => (await pending()) === 0, 5000);
  const seen = rx.batches.length;
  await ok(api(ts, app, 'POST', '/channels', { channel: 'room2', members: ['alice'] }), 201);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await pending(), 0, 'nothing queued while off');
  assert.equal(rx.batches.length, seen);
});
