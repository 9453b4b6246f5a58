// Issue 9 item 2: the XPush SDK falls back from a blocked WebSocket to HTTP streaming, and from
// there to SSE, by itself (its default transport list), in Node, and keeps working across a drop.
import { test, type TestContext } from 'node:test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api } from '../helpers/clients.ts';
import { XPush } from '../../src/client/index.ts';
import { DeadWebSocket, httpGate, prefixProxy, type HttpGate } from '../helpers/http-transports.ts';
import { loggedIn, offsetsOf, range, waitFor } from './sdk-kit.ts';
import { serverSockets, sleep } from './e2e-kit.ts';

async function say(ts: TestServer, app: TestApp, i: number): Promise<void> {
  const r = await api(ts, app, 'POST', '/publish', { channel: 'web', event: 'chat', data: { i }, sender: 'alice' });
  assert.equal(r.body.offset, i, JSON.stringify(r.body));
}

async function scenario(t: TestContext, withEventSource: boolean, expect: 'http_stream' | 'sse', prepare: (gate: HttpGate) => void) {
  const ts = await startServer(t);
  const killer = serverSockets(ts);
  const app = await ts.createApp();
  const gate = httpGate();
  prepare(gate);
  const deadBefore = DeadWebSocket.made;
  const bob = await loggedIn(t, ts, app, 'bob', 'web', {
    websocket: DeadWebSocket, fetch: gate.fetch, ...(withEventSource ? { eventsource: gate.EventSource } : {}),
    minReconnectDelayMs: 50, maxReconnectDelayMs: 300,
  });
  assert.equal(bob.xp.state, 'connected');
  assert.equal(DeadWebSocket.made - deadBefore, 1, 'WebSocket was tried first, once');
  const streams = gate.requests.filter((r) => r.path.startsWith('/connection/')).map((r) => r.path);
  assert.equal(streams.at(-1), `/connection/${expect}`, JSON.stringify(streams));
  assert.equal(ts.server.connections(app.id).length, 1);

  // The server subscribes the connection to a new channel; messages flow both ways.
  const made = await api(ts, app, 'POST', '/channels', { channel: 'web', members: ['bob'] });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  await waitFor('subscribed to web', () => bob.events.some((e) => e.name === 'subscribed' && e.args[0] === 'web'));
  await say(ts, app, 1);
  await waitFor('message 1', () => bob.messages.length === 1);
  const ack = await bob.xp.send('web', 'chat', { i: 2 });
  assert.equal(ack.offset, 2);

  // Drop the stream from the server side and keep the client off while 3 more are sent.
  gate.deny.add(`/connection/${expect}`);
  killer.killAll();
  await waitFor('server forgets the connection', () => ts.server.connections(app.id).length === 0);
  for (const i of [3, 4, 5]) await say(ts, app, i);
  gate.deny.delete(`/connection/${expect}`);
  await waitFor('reconnected', () => ts.server.connections(app.id).length === 1, 8000);
  await say(ts, app, 6);
  await waitFor('all 6', () => bob.messages.length >= 6, 8000);
  await sleep(100);
  assert.deepEqual(offsetsOf(bob.messages, 'web'), range(1, 6), 'every message once, in order');
  assert.deepEqual((await bob.xp.send('web', 'chat', { i: 7 })).offset, 7);
  const after = gate.requests.filter((r) => r.path.startsWith('/connection/')).map((r) => r.path);
  assert.ok(after.slice(streams.length).every((p) => p === `/connection/${expect}`), `reconnects stay on ${expect}: ${JSON.stringify(after)}`);
  const posts = gate.requests.filter((r) => r.path === '/emulation' && r.status !== undefined);
  assert.ok(posts.length > 0 && posts.every((r) => r.status === 204), JSON.stringify(posts));
}

test('XPush SDK with WebSocket blocked falls back to http_stream by itself and keeps working across a drop', { timeout: 30_000 }, async (t) => {
  await scenario(t, false, 'http_stream', () => undefined);
});

test('XPush SDK with WebSocket and http_stream blocked falls back to sse (eventsource passed) and keeps working across a drop', { timeout: 30_000 }, async (t) => {
  await scenario(t, true, 'sse', (gate) => gate.deny.add('/connection/http_stream'));
});

test('XPush SDK with every transport blocked keeps trying them in turn and gets through once the route opens', { timeout: 30_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const gate = httpGate();
  gate.deny.add('/connection/http_stream');
  gate.deny.add('/connection/sse');
  const c = new XPush({ url: ts.url, app: app.id, appKey: app.key, websocket: DeadWebSocket, eventsource: gate.EventSource, fetch: gate.fetch, minReconnectDelayMs: 50, maxReconnectDelayMs: 100, timeoutMs: 1000 });
  t.after(() => c.disconnect());
  await c.register('bob', 'correct-horse-battery');
  await c.login('bob', 'correct-horse-battery', 'web');
  const deadBefore = DeadWebSocket.made;
  void c.connect().catch(() => undefined);
  await waitFor('every transport tried twice', () => gate.requests.filter((r) => r.path === '/connection/sse').length >= 2, 8000);
  const order = gate.requests.filter((r) => r.path.startsWith('/connection/')).map((r) => r.path);
  assert.deepEqual(order.slice(0, 2), ['/connection/http_stream', '/connection/sse'], 'http_stream before sse');
  assert.ok(DeadWebSocket.made - deadBefore >= 2, 'WebSocket tried again each round');
  assert.equal(c.state, 'connecting');
  assert.equal(ts.server.connections(app.id).length, 0);
  // The route opens: the SDK gets through without being told.
  gate.deny.clear();
  await waitFor('connected', () => c.state === 'connected', 8000);
});

test('XPush SDK behind a proxy that serves XPUSH under a path prefix falls back to http_stream under that prefix', { timeout: 30_000 }, async (t) => {
  const proxy = await prefixProxy(t, '/xpush');
  const ts = await startServer(t, { publicUrl: `${proxy.url.replace('http', 'ws')}/xpush/connection/websocket` });
  proxy.setUpstream(ts.url);
  const app = await ts.createApp();
  const gate = httpGate();
  const bob = await loggedIn(t, ts, app, 'bob', 'web', { url: `${proxy.url}/xpush`, websocket: DeadWebSocket, fetch: gate.fetch, minReconnectDelayMs: 50, maxReconnectDelayMs: 300, timeoutMs: 2000 });
  assert.ok(proxy.seen.includes('POST /xpush/connection/http_stream'), JSON.stringify(proxy.seen));
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'web', members: ['bob'] })).status, 201);
  await waitFor('subscribed to web', () => bob.events.some((e) => e.name === 'subscribed' && e.args[0] === 'web'));
  await say(ts, app, 1);
  await waitFor('message 1', () => bob.messages.length === 1);
  assert.equal((await bob.xp.send('web', 'chat', { i: 2 })).offset, 2);
  assert.ok(proxy.seen.includes('POST /xpush/emulation'), JSON.stringify(proxy.seen));
});
