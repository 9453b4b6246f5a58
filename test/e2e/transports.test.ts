// Issue 9 item 2: the official centrifuge-js (JSON) over the HTTP transports a network without
// WebSocket leaves: http_stream, sse, and the fallback order websocket → http_stream → sse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import type { PublicationContext, SubscribedContext } from 'centrifuge';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, userSession } from '../helpers/clients.ts';
import { connectOver, DeadWebSocket, type BidiTransport } from '../helpers/http-transports.ts';
import { serverSockets, sleep, waitFor } from './e2e-kit.ts';
import type { ConfigInput } from '../../src/config.ts';

const VARIANTS: { name: string; transports: BidiTransport[]; expect: 'http_stream' | 'sse' }[] = [
  { name: '[http_stream]', transports: ['http_stream'], expect: 'http_stream' },
  { name: '[sse]', transports: ['sse'], expect: 'sse' },
  { name: '[websocket(dead), http_stream, sse]', transports: ['websocket', 'http_stream', 'sse'], expect: 'http_stream' },
];

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function setup(t: Parameters<typeof startServer>[0], config: ConfigInput = {}) {
  const ts = await startServer(t, config);
  // Before any request: the test's fetch keeps sockets alive and the SDK's may reuse them.
  const killer = serverSockets(ts);
  const app = await ts.createApp();
  await userSession(ts, app, 'alice');
  const bob = await userSession(ts, app, 'bob');
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'] })).status, 201);
  return { ts, app, bob, killer };
}

async function publishN(ts: TestServer, app: TestApp, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    const r = await api(ts, app, 'POST', '/publish', { channel: 'room', event: 'n', data: { i }, sender: 'alice' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.offset, i);
  }
}

for (const v of VARIANTS) {
  test(`centrifuge-js ${v.name}: connect, subscribe, publish, rpc, presence, history`, async (t) => {
    const { ts, app, bob } = await setup(t);
    const deadBefore = DeadWebSocket.made;
    const { c, ctx, gate } = await connectOver(t, ts.url, v.transports, bob.accessToken);
    assert.equal(ctx.transport, v.expect);
    // Fallback order: a dead WebSocket first, then the first HTTP transport; SSE never tried.
    const opened = gate.requests.filter((r) => r.path.startsWith('/connection/')).map((r) => r.path);
    assert.deepEqual(opened, [`/connection/${v.expect}`]);
    assert.equal(DeadWebSocket.made - deadBefore, v.transports.includes('websocket') ? 1 : 0);

    const sub = c.newSubscription('room');
    const got: PublicationContext[] = [];
    sub.on('publication', (p) => got.push(p));
    sub.subscribe();
    await sub.ready(3000);
    await sub.publish({ text: 'from bob' });
    await publishN(ts, app, 2, 2);
    await waitFor('2 publications', () => got.length === 2);
    assert.deepEqual(got.map((p) => [p.offset, p.data]), [[1, { text: 'from bob' }], [2, { i: 2 }]]);

    const list = await c.rpc('channel.list', {});
    assert.deepEqual((list.data as { channels: { name?: string; channel?: string }[] }).channels.map((x) => x.name ?? x.channel), ['room']);
    const presence = await sub.presence();
    assert.deepEqual(Object.keys(presence.clients), [ctx.client]);
    assert.equal(presence.clients[ctx.client]!.user, 'bob');
    const stats = await sub.presenceStats();
    assert.deepEqual(stats, { numClients: 1, numUsers: 1 });
    const history = await sub.history({ limit: 10 });
    assert.deepEqual(history.publications.map((p) => p.offset), [1, 2]);

    // Every later command went through POST /emulation, named this server and one session, and got 204.
    const posts = gate.requests.filter((r) => r.path === '/emulation');
    assert.ok(posts.length >= 5, JSON.stringify(posts));
    assert.ok(posts.every((p) => p.status === 204 && p.body?.node === ts.server.nodeId), JSON.stringify(posts));
    assert.equal(new Set(posts.map((p) => p.body!.session)).size, 1);
    assert.notEqual(posts[0]!.body!.session, ctx.client, 'the session id is not the client id');
    const sent = new Set(gate.emulated().flatMap((cmd) => Object.keys(cmd)).filter((k) => k !== 'id'));
    for (const k of ['subscribe', 'publish', 'rpc', 'presence', 'presence_stats', 'history']) assert.ok(sent.has(k), `${k} sent over emulation`);
    assert.deepEqual(ts.server.connections(app.id).map((x) => x.client), [ctx.client]);
  });

  test(`centrifuge-js ${v.name}: the server drops the stream; the client recovers every missed publication once, in order`, { timeout: 20_000 }, async (t) => {
    const { ts, app, bob, killer } = await setup(t);
    const { c, gate } = await connectOver(t, ts.url, v.transports, bob.accessToken);
    const sub = c.newSubscription('room');
    const got: PublicationContext[] = [];
    const subscribed: SubscribedContext[] = [];
    const transports: string[] = [];
    c.on('connected', (x) => transports.push(x.transport));
    sub.on('publication', (p) => got.push(p));
    sub.on('subscribed', (s) => subscribed.push(s));
    sub.subscribe();
    await sub.ready(3000);
    await publishN(ts, app, 1, 3);
    await waitFor('3 live publications', () => got.length === 3);

    gate.block();
    killer.killAll();
    await waitFor('server forgets the connection', () => ts.server.connections(app.id).length === 0);
    await waitFor('client notices', () => c.state !== 'connected');
    await publishN(ts, app, 4, 7);
    gate.unblock();

    await waitFor('resubscribed', () => subscribed.length === 2, 8000);
    await publishN(ts, app, 8, 9);
    await waitFor('all 9', () => got.length >= 9);
    await sleep(100);
    assert.deepEqual(got.map((p) => p.offset), range(1, 9), 'every publication exactly once, in order');
    assert.deepEqual(got.map((p) => (p.data as { i: number }).i), range(1, 9));
    assert.equal(subscribed[1]!.wasRecovering, true);
    assert.equal(subscribed[1]!.recovered, true);
    assert.deepEqual(transports, [v.expect], 'reconnected over the same transport');
  });
}

/** A token signed by hand with `exp` (seconds since epoch). */
function sign(app: TestApp, user: string, exp: number): Promise<string> {
  return new SignJWT({ app: app.id, device: 'phone' }).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setExpirationTime(exp)
    .sign(new TextEncoder().encode(app.secret));
}

for (const tr of ['http_stream', 'sse'] as const) {
  test(`centrifuge-js [${tr}]: an expired token gets 109, the SDK asks getToken and connects; a short token is refreshed over emulation`, { timeout: 20_000 }, async (t) => {
    const { ts, app } = await setup(t, { tokenExpiryGraceMs: 1000 });
    const now = Math.floor(Date.now() / 1000);
    let asked = 0;
    const { c, ctx, gate } = await connectOver(t, ts.url, [tr], await sign(app, 'bob', now - 60), {
      opts: { getToken: async () => (asked++, sign(app, 'bob', Math.floor(Date.now() / 1000) + 2)) },
    });
    assert.equal(ctx.transport, tr);
    assert.equal(asked, 1, 'the expired token was replaced once');
    const reconnects: number[] = [];
    c.on('connecting', (x) => reconnects.push(x.code));
    c.on('disconnected', (x) => reconnects.push(x.code));
    // The 2-second token expires twice over; each time the SDK refreshes it through /emulation.
    await waitFor('two refreshes', () => asked >= 3, 8000);
    await sleep(300);
    assert.deepEqual(reconnects, [], 'the connection was never dropped');
    assert.equal(c.state, 'connected');
    assert.deepEqual(ts.server.connections(app.id).map((x) => x.client), [ctx.client]);
    const refreshes = gate.emulated().filter((cmd) => cmd.refresh);
    assert.ok(refreshes.length >= 2, JSON.stringify(gate.emulated()));
  });

  test(`centrifuge-js [${tr}]: pings answered by pong POSTs keep the connection over several ping intervals`, { timeout: 20_000 }, async (t) => {
    const { ts, app, bob } = await setup(t, { pingIntervalMs: 1000, pongTimeoutMs: 800 });
    const { c, ctx, gate } = await connectOver(t, ts.url, [tr], bob.accessToken);
    const drops: number[] = [];
    c.on('connecting', (x) => drops.push(x.code));
    c.on('disconnected', (x) => drops.push(x.code));
    const pongs = () => gate.requests.filter((r) => r.body?.data === '{}' && r.status !== undefined);
    await waitFor('4 answered pongs', () => pongs().length >= 4, 8000);
    assert.ok(pongs().every((p) => p.status === 204), JSON.stringify(pongs()));
    assert.deepEqual(drops, []);
    assert.deepEqual(ts.server.connections(app.id).map((x) => x.client), [ctx.client], 'still the first connection');
    const r = await c.rpc('channel.list', {});
    assert.ok(r.data);
  });

  test(`centrifuge-js [${tr}]: a server-side disconnect arrives as a disconnect push with its code`, { timeout: 20_000 }, async (t) => {
    const { ts, app, bob } = await setup(t);
    const { c } = await connectOver(t, ts.url, [tr], bob.accessToken);
    const ended = new Promise<{ code: number; reason: string }>((r) => c.once('disconnected', r));
    // Logging the device out ends its connections with 3503 (terminal: the SDK stops).
    const out = await ts.http('POST', `/v1/apps/${app.id}/auth/logout`, undefined, { authorization: `Bearer ${bob.accessToken}` });
    assert.ok(out.status < 300, JSON.stringify(out));
    assert.deepEqual(await ended, { code: 3503, reason: 'logged out' });
    assert.equal(c.state, 'disconnected');
  });

  test(`centrifuge-js [${tr}]: a reconnect code (3001 shutdown) arrives as a push and the SDK tries again`, { timeout: 20_000 }, async (t) => {
    const { ts, bob } = await setup(t);
    const { c } = await connectOver(t, ts.url, [tr], bob.accessToken);
    const again = new Promise<{ code: number; reason: string }>((r) => c.once('connecting', r));
    await ts.server.close();
    assert.deepEqual(await again, { code: 3001, reason: 'shutdown' });
  });
}
