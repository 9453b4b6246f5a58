// XPush SDK resuming: forced socket drops while messages flow, retried sends, disconnect/connect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { prefixProxy } from '../helpers/http-transports.ts';
import { loggedIn, offsetsOf, range, sleep, trackedWebSocket, waitFor } from './sdk-kit.ts';

test('a forced socket drop resumes without loss or duplicates, in order', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const sender = await loggedIn(t, srv, app, 'alice', 'phone');
  const tracked = trackedWebSocket();
  const lookups: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    const u = String(input);
    if (u.includes('/node/')) lookups.push(u);
    return fetch(input, init);
  };
  const receiver = await loggedIn(t, srv, app, 'bob', 'phone', { websocket: tracked.ctor, fetch: countingFetch, minReconnectDelayMs: 50, maxReconnectDelayMs: 200 });
  await sender.xp.createChannel('stream', { members: ['bob'] });
  await waitFor('bob subscribed', () => receiver.events.some((e) => e.name === 'subscribed' && e.args[0] === 'stream'));

  // Three cuts while 60 messages are being sent; the sends go on while bob reconnects.
  const total = 60;
  for (let i = 1; i <= total; i++) {
    await sender.xp.send('stream', 'n', { i });
    if (i % 20 === 10) {
      await waitFor('bob connected', () => receiver.xp.state === 'connected');
      tracked.sockets.at(-1)!.terminate();
    }
  }
  await waitFor(`all ${total} messages`, () => offsetsOf(receiver.messages, 'stream').length >= total, 15_000);
  await sleep(200);
  assert.deepEqual(offsetsOf(receiver.messages, 'stream'), range(1, total));
  assert.deepEqual(receiver.messages.map((m) => (m.data as { i: number }).i), range(1, total));
  assert.ok(tracked.sockets.length >= 4, `reconnected ${tracked.sockets.length - 1} times`);
  // Each attempt asked the session server which node serves bob.
  assert.equal(lookups.length, tracked.sockets.length);
  assert.ok(lookups.every((u) => u === `${srv.url}/node/${app.id}/user/bob`));
  const drops = receiver.events.filter((e) => e.name === 'disconnected');
  assert.ok(drops.length >= 3 && drops.every((e) => (e.args[0] as { reconnecting: boolean }).reconnecting));
  // The server recovered the missed publications itself (subscribe results with recovered: true).
  const resubscribed = receiver.events.filter((e) => e.name === 'subscribed' && e.args[0] === 'stream').slice(1);
  assert.ok(resubscribed.length >= 3 && resubscribed.every((e) => (e.args[1] as { recovered: boolean }).recovered));
});

test('a gap the server does not recover is filled from history by the SDK', async (t) => {
  const srv = await startServer(t, { maxRecoveryPublications: 5 });
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  const bob = await loggedIn(t, srv, app, 'bob', 'phone');
  await alice.xp.createChannel('big', { members: ['bob'] });
  await waitFor('bob subscribed', () => bob.events.some((e) => e.name === 'subscribed' && e.args[0] === 'big'));
  await alice.xp.send('big', 'n', 1);
  await waitFor('first', () => bob.messages.length === 1);

  bob.xp.disconnect();
  for (let i = 2; i <= 250; i++) await alice.xp.send('big', 'n', i);
  await bob.xp.connect();
  await alice.xp.send('big', 'n', 251); // live, while the SDK may still be catching up
  await waitFor('all 251', () => bob.messages.length >= 251, 10_000);
  await sleep(100);
  assert.deepEqual(offsetsOf(bob.messages, 'big'), range(1, 251));
  assert.deepEqual(bob.messages.map((m) => m.data), range(1, 251));
  const resub = bob.events.filter((e) => e.name === 'subscribed' && e.args[0] === 'big').at(-1)!;
  assert.equal((resub.args[1] as { recovered: boolean }).recovered, false, 'the server declined (gap > maxRecoveryPublications)');
});

test('a send cut off by a socket drop is retried once the client is back, and stored once', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const tracked = trackedWebSocket();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone', { websocket: tracked.ctor, minReconnectDelayMs: 50, maxReconnectDelayMs: 200 });
  const bob = await loggedIn(t, srv, app, 'bob', 'phone');
  await alice.xp.createChannel('dm', { members: ['bob'] });
  await waitFor('bob subscribed', () => bob.events.some((e) => e.name === 'subscribed' && e.args[0] === 'dm'));

  const acks = [];
  for (let i = 1; i <= 5; i++) {
    const p = alice.xp.send('dm', 'chat', { i });
    // Cut before the command is written, or after (then the reply is lost): both must store it once.
    const socket = tracked.sockets.at(-1)!;
    if (i % 2) socket.terminate();
    else setTimeout(() => socket.terminate(), 1);
    acks.push(await p);
  }
  assert.deepEqual(acks.map((a) => a.offset), range(1, 5));
  await waitFor('bob has 5', () => bob.messages.length >= 5);
  await sleep(200);
  assert.deepEqual(offsetsOf(bob.messages, 'dm'), range(1, 5));
  assert.equal((await alice.xp.history('dm', { limit: 100 })).offset, 5);
});

test('disconnect() then connect() later delivers what was missed, once', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'phone');
  const bob = await loggedIn(t, srv, app, 'bob', 'phone');
  await alice.xp.createChannel('room', { members: ['bob'] });
  await waitFor('bob subscribed', () => bob.events.some((e) => e.name === 'subscribed' && e.args[0] === 'room'));
  await alice.xp.send('room', 'chat', 1);
  await waitFor('first', () => bob.messages.length === 1);

  bob.xp.disconnect();
  assert.equal(bob.xp.state, 'disconnected');
  for (let i = 2; i <= 4; i++) await alice.xp.send('room', 'chat', i);
  await bob.xp.connect();
  await waitFor('missed ones', () => bob.messages.length >= 4);
  await alice.xp.send('room', 'chat', 5);
  await waitFor('live again', () => bob.messages.length >= 5);
  await sleep(100);
  assert.deepEqual(offsetsOf(bob.messages, 'room'), range(1, 5));
});

test('explicit wsUrl, and a session server under a path prefix whose node lookup fails falls back to itself under that prefix', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const viaWsUrl = await loggedIn(t, srv, app, 'alice', 'a', { wsUrl: srv.wsUrl });
  assert.equal(viaWsUrl.xp.state, 'connected');
  // XPUSH served under /xpush by a proxy that forwards no WebSocket and answers 404 to node lookups:
  // the SDK falls back to the session server itself, keeps the prefix, and gets in over HTTP streaming.
  const proxy = await prefixProxy(t, '/xpush', (p) => p.startsWith('/node/'));
  proxy.setUpstream(srv.url);
  const bob = await loggedIn(t, srv, app, 'bob', 'b', { url: `${proxy.url}/xpush`, minReconnectDelayMs: 50, maxReconnectDelayMs: 300, timeoutMs: 2000 });
  assert.equal(bob.xp.state, 'connected');
  assert.ok(proxy.seen.some((r) => r.startsWith('GET /xpush/node/')), JSON.stringify(proxy.seen));
  assert.ok(proxy.seen.includes('POST /xpush/connection/http_stream'), JSON.stringify(proxy.seen));
});
