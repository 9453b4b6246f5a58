// Issue 10 item 3: each provider client (the real code in src/push) against its fake on 127.0.0.1 —
// TLS with a test CA for Web Push and APNs, plain HTTP for FCM. The fakes verify the VAPID, OAuth and
// APNs JWTs and the Web Push fake decrypts the aes128gcm payload; outcomes follow the providers'
// documented answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PushTargetRecord } from '../../src/store/push-store.ts';
import type { PushNotification } from '../../src/push/provider.ts';
import { WebPushProvider, generateVapidKeys } from '../../src/push/webpush.ts';
import { FcmProvider } from '../../src/push/fcm.ts';
import { ApnsProvider } from '../../src/push/apns.ts';
import { startWebPushFake } from '../fakes/webpush-fake.ts';
import { startFcmFake } from '../fakes/fcm-fake.ts';
import { startApnsFake } from '../fakes/apns-fake.ts';

const alert: PushNotification = {
  alert: { title: 'alice', body: 'noodles at noon? 🍜' }, badge: 3, data: { channel: 'lunch', offset: 3, event: 'message', sender: 'alice' },
  collapseKey: 'c:lunch', ttlSec: 3600,
};
const silent: PushNotification = { data: { kind: 'sync', n: 7 }, collapseKey: 'd:1', ttlSec: 60 };

function target(kind: PushTargetRecord['kind'], token: string, over: Partial<PushTargetRecord> = {}): PushTargetRecord {
  return { appId: 'a', id: 't', userId: 'bob', deviceId: 'd', kind, token, keys: null, environment: null, createdAt: 0, ...over };
}

test('Web Push: VAPID-signed, aes128gcm payload the browser decrypts; 404/410 gone, 429 retried with Retry-After', async (t) => {
  const fake = await startWebPushFake();
  t.after(() => fake.close());
  const vapid = { subject: 'mailto:ops@example.com', ...generateVapidKeys() };
  fake.expectVapidKey(vapid.publicKey);
  const p = new WebPushProvider(vapid, { ca: [fake.ca], timeoutMs: 5000 });
  t.after(() => p.close());
  const sub = fake.subscribe();
  const tgt = target('webpush', sub.json.endpoint, { keys: sub.json.keys });

  assert.deepEqual(await p.send(tgt, alert), { status: 'sent' });
  assert.deepEqual(await p.send(tgt, silent), { status: 'sent' });
  assert.deepEqual(fake.errors, []);
  const [a, s] = fake.received;
  assert.deepEqual(a!.payload, { title: 'alice', body: 'noodles at noon? 🍜', badge: 3, tag: 'c:lunch', data: alert.data });
  assert.equal(a!.headers.ttl, '3600');
  assert.equal(a!.headers.urgency, 'high');
  assert.match(String(a!.headers.topic), /^[A-Za-z0-9_-]{32}$/);
  assert.deepEqual(s!.payload, { data: { kind: 'sync', n: 7 } });
  assert.equal(s!.headers.urgency, 'normal');

  fake.answer(sub.id, 'throttle', 7);
  assert.deepEqual(await p.send(tgt, alert), { status: 'retry', reason: 'http_429', retryAfterMs: 7000, detail: '' });
  fake.answer(sub.id, 'error500');
  assert.equal((await p.send(tgt, alert)).status, 'retry');
  fake.answer(sub.id, 'gone');
  assert.deepEqual(await p.send(tgt, alert), { status: 'gone', reason: 'http_410' });
  fake.answer(sub.id, 'notfound');
  assert.deepEqual(await p.send(tgt, alert), { status: 'gone', reason: 'http_404' });

  // A VAPID key the push service does not expect: refused, not "gone" (the subscription is fine).
  const other = fake.subscribe();
  const wrong = new WebPushProvider({ subject: 'mailto:ops@example.com', ...generateVapidKeys() }, { ca: [fake.ca], timeoutMs: 5000 });
  t.after(() => wrong.close());
  assert.equal((await wrong.send(target('webpush', other.json.endpoint, { keys: other.json.keys }), alert)).status, 'rejected');
  assert.equal(fake.errors.length, 1);

  // Without the test CA the TLS handshake fails: a network error, retried later.
  const untrusting = new WebPushProvider(vapid, { timeoutMs: 5000 });
  t.after(() => untrusting.close());
  const r = await untrusting.send(target('webpush', other.json.endpoint, { keys: other.json.keys }), alert);
  assert.equal(r.status, 'retry');
  assert.equal(r.status === 'retry' && r.reason, 'network');
});

test('FCM v1: one OAuth token for many sends, a new one after 401; UNREGISTERED and bad-token INVALID_ARGUMENT are gone, a payload INVALID_ARGUMENT is not', async (t) => {
  const fake = await startFcmFake();
  t.after(() => fake.close());
  const sa = fake.serviceAccount;
  const p = new FcmProvider({
    projectId: sa.project_id, clientEmail: sa.client_email, privateKey: sa.private_key, privateKeyId: sa.private_key_id,
    baseUrl: fake.url, tokenUrl: `${fake.url}/token`,
  }, 5000);
  t.after(() => p.close());
  const results = await Promise.all([p.send(target('fcm', 'tok-a'), alert), p.send(target('fcm', 'tok-b'), alert), p.send(target('fcm', 'tok-c'), silent)]);
  assert.deepEqual(results.map((r) => r.status), ['sent', 'sent', 'sent']);
  assert.equal(fake.tokenRequests, 1, 'concurrent sends share one token exchange');
  assert.deepEqual(fake.errors, []);
  const m = fake.received.find((r) => r.token === 'tok-a')!.message;
  assert.deepEqual(m.notification, { title: 'alice', body: 'noodles at noon? 🍜' });
  assert.deepEqual(m.data, { channel: 'lunch', offset: '3', event: 'message', sender: 'alice', badge: '3' });
  assert.equal(m.android.collapse_key, 'c:lunch');
  assert.equal(m.android.notification.tag, 'c:lunch');
  assert.equal(m.android.notification.notification_count, 3);
  assert.equal(m.apns.payload.aps.badge, 3);
  const d = fake.received.find((r) => r.token === 'tok-c')!.message;
  assert.equal(d.notification, undefined);
  assert.deepEqual(d.data, { kind: 'sync', n: '7' });

  fake.revokeAccessTokens();
  assert.deepEqual(await p.send(target('fcm', 'tok-a'), alert), { status: 'sent' });
  assert.equal(fake.tokenRequests, 2, '401 → one new token, then the send went through');

  fake.answer('tok-gone', 'unregistered');
  assert.deepEqual(await p.send(target('fcm', 'tok-gone'), alert), { status: 'gone', reason: 'UNREGISTERED' });
  fake.answer('tok-bad', 'invalidToken');
  assert.deepEqual(await p.send(target('fcm', 'tok-bad'), alert), { status: 'gone', reason: 'INVALID_ARGUMENT' });
  fake.answer('tok-payload', 'badPayload');
  assert.equal((await p.send(target('fcm', 'tok-payload'), alert)).status, 'rejected');
  fake.answer('tok-busy', 'throttle', 9);
  const busy = await p.send(target('fcm', 'tok-busy'), alert);
  assert.equal(busy.status, 'retry');
  assert.equal(busy.status === 'retry' && busy.retryAfterMs, 9000);
  fake.answer('tok-500', 'error500');
  assert.equal((await p.send(target('fcm', 'tok-500'), alert)).status, 'retry');

  // An assertion signed with the wrong key: the token endpoint refuses; retried (an admin may fix it), never pruned.
  const stranger = new FcmProvider({
    projectId: sa.project_id, clientEmail: sa.client_email, privateKey: (await startFcmFake().then(async (f) => { await f.close(); return f.serviceAccount.private_key; })),
    privateKeyId: sa.private_key_id, baseUrl: fake.url, tokenUrl: `${fake.url}/token`,
  }, 5000);
  const refused = await stranger.send(target('fcm', 'tok-a'), alert);
  assert.equal(refused.status, 'retry');
  assert.equal(refused.status === 'retry' && refused.reason, 'oauth_400');
  assert.match(fake.errors.join(), /assertion/);
});

test('APNs: one HTTP/2 session and one provider JWT for many sends; Unregistered/BadDeviceToken/DeviceTokenNotForTopic gone; renews an expired JWT; reconnects after GOAWAY', async (t) => {
  const fake = await startApnsFake();
  t.after(() => fake.close());
  const p = new ApnsProvider({ ...fake.credentials, productionUrl: fake.url, sandboxUrl: fake.url }, { ca: [fake.ca], timeoutMs: 5000 });
  t.after(() => p.close());
  const tok = (n: number) => n.toString(16).padStart(64, '0');

  const sent = await Promise.all([1, 2, 3, 4, 5].map((n) => p.send(target('apns', tok(n), { environment: 'production' }), alert)));
  assert.deepEqual(sent.map((s) => s.status), ['sent', 'sent', 'sent', 'sent', 'sent']);
  assert.deepEqual(await p.send(target('apns', tok(6), { environment: 'sandbox' }), silent), { status: 'sent' });
  assert.deepEqual(fake.errors, []);
  assert.equal(fake.jwts.length, 1, 'the provider token is reused');
  assert.equal(fake.sessions, 1, 'one connection (both environments point at the fake)');
  const a = fake.received.find((r) => r.token === tok(1))!;
  assert.deepEqual(a.body.aps, { alert: { title: 'alice', body: 'noodles at noon? 🍜' }, badge: 3, sound: 'default', 'thread-id': 'c:lunch' });
  assert.equal(a.body.channel, 'lunch');
  assert.equal(a.headers['apns-push-type'], 'alert');
  assert.equal(a.headers['apns-priority'], '10');
  assert.equal(a.headers['apns-collapse-id'], 'c:lunch');
  const s = fake.received.find((r) => r.token === tok(6))!;
  assert.deepEqual(s.body, { kind: 'sync', n: 7, aps: { 'content-available': 1 } });
  assert.equal(s.headers['apns-push-type'], 'background');
  assert.equal(s.headers['apns-priority'], '5');

  fake.answer(tok(7), 'unregistered');
  assert.deepEqual(await p.send(target('apns', tok(7)), alert), { status: 'gone', reason: 'Unregistered' });
  fake.answer(tok(8), 'badToken');
  assert.deepEqual(await p.send(target('apns', tok(8)), alert), { status: 'gone', reason: 'BadDeviceToken' });
  fake.answer(tok(9), 'notForTopic');
  assert.deepEqual(await p.send(target('apns', tok(9)), alert), { status: 'gone', reason: 'DeviceTokenNotForTopic' });
  fake.answer(tok(10), 'tooLarge');
  assert.equal((await p.send(target('apns', tok(10)), alert)).status, 'rejected');
  fake.answer(tok(11), 'throttle');
  assert.deepEqual(await p.send(target('apns', tok(11)), alert), { status: 'retry', reason: 'TooManyRequests', retryAfterMs: undefined });

  fake.answer(tok(12), 'expiredJwt');
  assert.deepEqual(await p.send(target('apns', tok(12)), alert), { status: 'sent' });
  assert.equal(fake.jwts.length, 2, 'ExpiredProviderToken → one new JWT');

  fake.goaway();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await p.send(target('apns', tok(13)), alert), { status: 'sent' });
  assert.equal(fake.sessions, 2, 'a new session after GOAWAY');
  assert.deepEqual(fake.errors, []);
});
