// Issue 10 item 2: what a notification carries and how it stays under the payload cap; the small
// rules the dispatcher and registration lean on (Retry-After, Web Push hosts, config checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messagePayload, mentionsOf, payloadBytes, previewOf } from '../../src/push/payload.ts';
import { parseRetryAfter, boundedKey } from '../../src/push/provider.ts';
import { resolvePushConfig, webPushHostAllowed } from '../../src/push/config.ts';
import { DEFAULT_PUSH_SETTINGS } from '../../src/protocol/push.ts';
import type { MessageRecord } from '../../src/store/store.ts';

const rec = (data: unknown, over: Partial<MessageRecord> = {}): MessageRecord => ({
  appId: 'a', channel: 'lunch', offset: 3, id: 'm', event: 'message', data, senderUser: 'alice', senderDevice: 'd', senderClient: 'c', time: 1, ...over,
});

test('a message notification: sender as title, text as body; "New message" without text or with previews off', () => {
  assert.deepEqual(messagePayload(rec({ text: 'noodles?' }), DEFAULT_PUSH_SETTINGS), {
    type: 'message', title: 'alice', body: 'noodles?', channel: 'lunch', offset: 3, event: 'message', sender: 'alice',
  });
  assert.equal(messagePayload(rec('plain string'), DEFAULT_PUSH_SETTINGS).body, 'plain string');
  assert.equal(messagePayload(rec({ n: 1 }), DEFAULT_PUSH_SETTINGS).body, 'New message');
  assert.equal(messagePayload(rec({ n: 1 }, { event: 'photo' }), DEFAULT_PUSH_SETTINGS).body, 'New photo');
  assert.equal(messagePayload(rec({ text: 'secret' }), { ...DEFAULT_PUSH_SETTINGS, preview: false }).body, 'New message');
  assert.equal(messagePayload(rec({ text: 'x' }, { senderUser: '' }), DEFAULT_PUSH_SETTINGS).title, 'lunch', 'the backend has no name: the channel');
  assert.equal(previewOf({ body: 'b' }), 'b');
});

test('the payload cap cuts the body preview (never inside a character), and drops it when names alone fill the cap', () => {
  const s = { ...DEFAULT_PUSH_SETTINGS, maxPayloadBytes: 600 };
  const long = '🍜'.repeat(1000);
  const p = messagePayload(rec({ text: long }), s);
  assert.ok(payloadBytes(p) <= 600, `${payloadBytes(p)} bytes`);
  assert.ok(p.body.endsWith('…'));
  assert.ok(p.body.length > 50, 'as much as fits is kept');
  assert.match(p.body.slice(0, -1), /^(🍜)+$/u);
  const huge = messagePayload(rec({ text: 'hello' }, { channel: 'c'.repeat(255), senderUser: 's'.repeat(128) }), { ...s, maxPayloadBytes: 512 });
  assert.equal(huge.body, '');
  assert.ok(huge.title.length <= 64);
});

test('mentions come from data.mentions only', () => {
  assert.deepEqual([...mentionsOf({ mentions: ['bob', 3, 'carol'] })], ['bob', 'carol']);
  assert.equal(mentionsOf({ text: '@bob' }).size, 0);
  assert.equal(mentionsOf(null).size, 0);
});

test('Retry-After as seconds or an HTTP date; long collapse keys are hashed within the limit', () => {
  assert.equal(parseRetryAfter('7'), 7000);
  assert.equal(parseRetryAfter(new Date(10_000 + 30_000).toUTCString(), 10_000), 30_000);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
  assert.equal(boundedKey('c:lunch', 64), 'c:lunch');
  const k = boundedKey('c:' + 'x'.repeat(300), 64);
  assert.ok(Buffer.byteLength(k) <= 64);
  assert.equal(k, boundedKey('c:' + 'x'.repeat(300), 64), 'stable');
});

test('Web Push hosts: exact, *.suffix, *; the defaults are the browsers\' push services; config errors name the field', () => {
  const c = resolvePushConfig();
  assert.ok(webPushHostAllowed(c, 'fcm.googleapis.com'));
  assert.ok(webPushHostAllowed(c, 'updates.push.services.mozilla.com'));
  assert.ok(webPushHostAllowed(c, 'web.push.apple.com'));
  assert.ok(!webPushHostAllowed(c, '127.0.0.1'));
  assert.ok(!webPushHostAllowed(c, 'evil-fcm.googleapis.com.attacker.test'));
  assert.ok(!webPushHostAllowed(c, 'push.services.mozilla.com.evil.test'));
  assert.ok(webPushHostAllowed(resolvePushConfig({ webPushHosts: ['*'] }), '10.0.0.1'));
  assert.throws(() => resolvePushConfig({ pollMs: 0 }), /config\.push\.pollMs/);
  assert.throws(() => resolvePushConfig({ leaseMs: 1000, requestTimeoutMs: 5000 }), /leaseMs must exceed/);
  assert.throws(() => resolvePushConfig({ ca: 'nope' }), /PEM/);
});
