// Issue 11 item 3: channel kinds (durable / ephemeral / cache), namespaces, retention — with the official
// centrifuge client and the XPush SDK against a real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { PublicationContext, SubscribedContext } from 'centrifuge';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient } from '../helpers/clients.ts';
import { connectSdk, tokenFor, waitFor, sleep } from './e2e-kit.ts';
import { loggedIn } from './sdk-kit.ts';

function storedCount(ts: TestServer, app: TestApp, channel: string): number {
  const db = new Database(path.join(ts.dataDir, 'xpush.db'), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM messages WHERE app_id = ? AND channel = ?').pluck().get(app.id, channel) as number;
  } finally {
    db.close();
  }
}

async function publishN(ts: TestServer, app: TestApp, channel: string, n: number, from = 1): Promise<number[]> {
  const offsets: number[] = [];
  for (let i = from; i < from + n; i++) {
    const r = await api(ts, app, 'POST', '/publish', { channel, data: { i } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    offsets.push(r.body.offset);
  }
  return offsets;
}

test('an ephemeral channel delivers in order with offsets, stores nothing, has no history and does not recover', async (t) => {
  const ts = await startServer(t, { channelNamespaces: [{ prefix: 'game:', kind: 'ephemeral' }] });
  const app = await ts.createApp();
  const created = await api(ts, app, 'POST', '/channels', { channel: 'game:42', type: 'open' });
  assert.equal(created.body.kind, 'ephemeral', 'the namespace decides the kind');
  const { c } = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'alice'));
  const got: PublicationContext[] = [];
  const subscribed: SubscribedContext[] = [];
  const sub = c.newSubscription('game:42');
  sub.on('publication', (p) => got.push(p));
  sub.on('subscribed', (s) => subscribed.push(s));
  sub.subscribe();
  await sub.ready(2000);
  assert.equal(subscribed[0]!.recoverable, false);
  const acks = [];
  for (let i = 1; i <= 5; i++) acks.push((await c.publish('game:42', { move: i })) as unknown);
  assert.deepEqual(await publishN(ts, app, 'game:42', 3, 6), [6, 7, 8], 'acks carry the ephemeral offsets');
  await waitFor('8 publications', () => got.length === 8);
  assert.deepEqual(got.map((p) => p.offset), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(got.slice(0, 5).map((p) => (p.data as { move: number }).move), [1, 2, 3, 4, 5]);
  assert.equal(storedCount(ts, app, 'game:42'), 0, 'nothing in the store');
  const h = await c.history('game:42', { limit: 10 });
  assert.deepEqual(h.publications, [], 'no history');
  assert.equal((await api(ts, app, 'GET', '/channels/game:42/history?limit=10')).body.publications.length, 0);
  // An explicit kind beats the namespace.
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'game:saved', type: 'open', kind: 'durable' })).body.kind, 'durable');
  // Ephemeral channels take neither a cache size nor a retention.
  const bad = await api(ts, app, 'POST', '/channels', { channel: 'x', kind: 'ephemeral', retention: { maxCount: 5 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 107);
});

test('a cache channel gives a late joiner the newest publications in its subscribe reply (centrifuge-js and the XPush SDK)', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'ticker', type: 'open', kind: 'cache', cacheSize: 2 })).body.cacheSize, 2);
  await publishN(ts, app, 'ticker', 4);
  assert.equal(storedCount(ts, app, 'ticker'), 0);
  const { c } = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'late'));
  const got: PublicationContext[] = [];
  const sub = c.newSubscription('ticker');
  sub.on('publication', (p) => got.push(p));
  sub.subscribe();
  await waitFor('the cached two', () => got.length === 2);
  assert.deepEqual(got.map((p) => (p.data as { i: number }).i), [3, 4], 'the newest two, oldest first');
  await publishN(ts, app, 'ticker', 1, 5);
  await waitFor('then live', () => got.length === 3);
  assert.deepEqual(got.map((p) => p.offset), [3, 4, 5]);
  const h = await c.history('ticker', { limit: 10 });
  assert.deepEqual(h.publications.map((p) => (p.data as { i: number }).i), [4, 5], 'history is what the cache keeps');
  // The XPush SDK joining the channel gets the latest value as a message.
  const bob = await loggedIn(t, ts, app, 'bob', 'phone');
  await bob.xp.joinChannel('ticker');
  await waitFor('bob gets the cached values', () => bob.messages.filter((m) => m.channel === 'ticker').length >= 2);
  assert.deepEqual(bob.messages.filter((m) => m.channel === 'ticker').map((m) => (m.data as { i: number }).i), [4, 5]);
});

test('retention: the background trim keeps the newest maxCount; a resubscribe from a trimmed position is told recovered: false', async (t) => {
  const ts = await startServer(t, { retentionSweepMs: 100, channelNamespaces: [{ prefix: 'log:', retention: { maxCount: 5 } }] });
  const app = await ts.createApp();
  const created = await api(ts, app, 'POST', '/channels', { channel: 'log:a', type: 'open' });
  assert.deepEqual(created.body.retention, { maxCount: 5 });
  await api(ts, app, 'POST', '/channels', { channel: 'aged', type: 'open', retention: { maxAgeSec: 1 } });
  await publishN(ts, app, 'log:a', 12);
  await publishN(ts, app, 'aged', 2);
  await waitFor('trimmed to 5', () => storedCount(ts, app, 'log:a') === 5, 3000);
  const h = await api(ts, app, 'GET', '/channels/log:a/history?after=0&limit=100');
  assert.deepEqual(h.body.publications.map((p: { offset: number }) => p.offset), [8, 9, 10, 11, 12]);
  assert.equal(h.body.offset, 12);
  const epoch = h.body.epoch as string;
  const rc = await rawClient(t, ts.wsUrl);
  assert.ok((await rc.call('connect', { token: await tokenFor(ts, app, 'alice', 'raw') })).connect);
  const far = await rc.call('subscribe', { channel: 'log:a', recover: true, offset: 3, epoch });
  assert.equal(far.subscribe.recovered, false, 'offsets 4..7 are gone: not recovered, and the client is told');
  await rc.call('unsubscribe', { channel: 'log:a' });
  const near = await rc.call('subscribe', { channel: 'log:a', recover: true, offset: 9, epoch });
  assert.equal(near.subscribe.recovered, true);
  assert.deepEqual(near.subscribe.publications.map((p: { offset: number }) => p.offset), [10, 11, 12]);
  // maxAgeSec: older messages go.
  await sleep(1100);
  await waitFor('aged out', () => storedCount(ts, app, 'aged') === 0, 3000);
  // Offsets go on after trims.
  assert.deepEqual(await publishN(ts, app, 'log:a', 1, 13), [13]);
});
