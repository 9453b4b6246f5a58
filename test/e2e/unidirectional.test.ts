// Issue 9 item 3: the unidirectional streams for consumers with no SDK (curl -N, a bare EventSource):
// GET /connection/uni_sse and POST /connection/uni_http_stream, read here with plain HTTP clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { SignJWT } from 'jose';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, userSession } from '../helpers/clients.ts';
import { StreamReader } from '../helpers/http-transports.ts';
import { sleep, waitFor } from './e2e-kit.ts';
import type { ConfigInput } from '../../src/config.ts';

async function setup(t: Parameters<typeof startServer>[0], config: ConfigInput = {}): Promise<{ ts: TestServer; app: TestApp; token: string }> {
  const ts = await startServer(t, config);
  const app = await ts.createApp();
  const bob = await userSession(ts, app, 'bob');
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['bob'] })).status, 201);
  return { ts, app, token: bob.accessToken };
}

async function publish(ts: TestServer, app: TestApp, i: number): Promise<void> {
  const r = await api(ts, app, 'POST', '/publish', { channel: 'room', event: 'n', data: { i } });
  assert.equal(r.body.offset, i, JSON.stringify(r.body));
}

type Uni = 'uni_sse' | 'uni_http_stream';

/** Opens a unidirectional stream the way curl would: GET with ?cf_connect=, or POST of the JSON request. */
function openUni(t: { after(fn: () => unknown): void }, ts: TestServer, kind: Uni, req: unknown): Promise<StreamReader> {
  const body = JSON.stringify(req);
  return kind === 'uni_sse'
    ? StreamReader.open(`${ts.url}/connection/uni_sse?cf_connect=${encodeURIComponent(body)}`, {}, 'sse', t)
    : StreamReader.open(`${ts.url}/connection/uni_http_stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }, 'lines', t);
}

const pubsOf = (s: StreamReader) => s.messages.filter((m) => m.pub).map((m) => [m.channel, m.pub.offset, m.pub.data.i]);

for (const kind of ['uni_sse', 'uni_http_stream'] as const) {
  test(`${kind}: the connect push, then publications as they happen; pings arrive and no pong is expected`, { timeout: 20_000 }, async (t) => {
    const { ts, app, token } = await setup(t, { pingIntervalMs: 500, pongTimeoutMs: 300 });
    const s = await openUni(t, ts, kind, { token });
    assert.equal(s.status, 200);
    assert.equal(s.headers.get('content-type'), kind === 'uni_sse' ? 'text/event-stream; charset=utf-8' : 'application/json');
    const first = await s.waitFor(() => true, 'connect push');
    assert.ok(first.connect, `the first message is the connect push: ${JSON.stringify(first)}`);
    assert.equal(first.id, undefined, 'a push, not a reply');
    assert.deepEqual(Object.keys(first.connect.subs), ['room'], 'subscribed server-side to the user\'s channels');
    await waitFor('one connection', () => ts.server.connections(app.id).length === 1);

    await publish(ts, app, 1);
    await s.waitFor((m) => m.pub, 'publication 1');
    await publish(ts, app, 2);
    await s.waitFor((m) => m.pub?.offset === 2, 'publication 2');
    assert.deepEqual(pubsOf(s), [['room', 1, 1], ['room', 2, 2]]);
    assert.ok(s.messages.every((m) => !('push' in m)), 'bare pushes, no {"push": …} envelope');

    // Several ping intervals (and pong timeouts) pass without an answer: the stream stays open.
    await waitFor('4 pings', () => s.messages.filter((m) => Object.keys(m).length === 0).length >= 4, 5000);
    assert.equal(s.ended, false);
    assert.ok(!s.messages.some((m) => m.disconnect), JSON.stringify(s.messages));
    await publish(ts, app, 3);
    await s.waitFor((m) => m.pub?.offset === 3, 'publication 3 after the pings');
    s.close();
    await waitFor('connection gone after the client left', () => ts.server.connections(app.id).length === 0);
  });

  test(`${kind}: recovery with subs {room: {recover, offset, epoch}} delivers the missed publications in the connect push`, async (t) => {
    const { ts, app, token } = await setup(t);
    for (let i = 1; i <= 5; i++) await publish(ts, app, i);
    const epoch = (await api(ts, app, 'GET', '/channels/room')).body.epoch as string;
    assert.ok(epoch);
    const s = await openUni(t, ts, kind, { token, subs: { room: { recover: true, offset: 2, epoch } } });
    const c = (await s.waitFor((m) => m.connect, 'connect push')).connect;
    const room = c.subs.room;
    assert.equal(room.recovered, true, JSON.stringify(room));
    assert.deepEqual(room.publications.map((p: { offset: number; data: { i: number } }) => [p.offset, p.data.i]), [[3, 3], [4, 4], [5, 5]]);
    assert.equal(room.offset, 5);
    await publish(ts, app, 6);
    await s.waitFor((m) => m.pub?.offset === 6);
    assert.deepEqual(pubsOf(s), [['room', 6, 6]], 'live ones follow, nothing twice');

    // A stale epoch is not recovered: the consumer learns it must reload.
    const stale = await openUni(t, ts, kind, { token, subs: { room: { recover: true, offset: 2, epoch: 'not-' + epoch } } });
    const r = (await stale.waitFor((m) => m.connect)).connect.subs.room;
    assert.equal(r.recovered, false);
    assert.equal(r.epoch, epoch);
  });

  test(`${kind}: a bad or expired token ends the stream with a disconnect push; a malformed request is a 400`, async (t) => {
    const { ts, app } = await setup(t);
    const expired = await new SignJWT({ app: app.id }).setProtectedHeader({ alg: 'HS256' }).setSubject('bob')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(app.secret));
    for (const [token, reason] of [['not-a-token', /invalid token/], [expired, /expired/]] as const) {
      const s = await openUni(t, ts, kind, { token });
      assert.equal(s.status, 200);
      const d = await s.waitFor((m) => m.disconnect, 'disconnect push');
      assert.equal(d.disconnect.code, 3500, JSON.stringify(d));
      assert.match(d.disconnect.reason, reason);
      await s.waitEnded();
      assert.ok(!s.messages.some((m) => m.connect));
    }
    assert.equal(ts.server.connections(app.id).length, 0);
    const bad = kind === 'uni_sse'
      ? await fetch(`${ts.url}/connection/uni_sse?cf_connect=%7Bnope`)
      : await fetch(`${ts.url}/connection/uni_http_stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: number } }).error.code, 107);
  });
}

test('uni_sse read by a bare EventSource (no SDK): connect push, then publications as they happen', async (t) => {
  const { ts, app, token } = await setup(t);
  const got: any[] = [];
  const es = new EventSource(`${ts.url}/connection/uni_sse?cf_connect=${encodeURIComponent(JSON.stringify({ token }))}`);
  t.after(() => es.close());
  es.onmessage = (e) => got.push(JSON.parse(e.data));
  await waitFor('connect push', () => got.some((m) => m.connect));
  for (const i of [1, 2, 3]) await publish(ts, app, i);
  await waitFor('3 publications', () => got.filter((m) => m.pub).length === 3);
  await sleep(50);
  assert.deepEqual(got.filter((m) => m.pub).map((m) => m.pub.offset), [1, 2, 3]);
  assert.equal(es.readyState, es.OPEN);
});

test('uni_sse also takes the connect request as a POST body (for tokens too long for a URL)', async (t) => {
  const { ts, app, token } = await setup(t);
  const s = await StreamReader.open(`${ts.url}/connection/uni_sse`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) }, 'sse', t);
  assert.equal(s.status, 200);
  await s.waitFor((m) => m.connect, 'connect push');
  await publish(ts, app, 1);
  await s.waitFor((m) => m.pub?.offset === 1);
});

test('unidirectional: false serves no uni endpoints', async (t) => {
  const { ts, token } = await setup(t, { unidirectional: false });
  assert.equal((await fetch(`${ts.url}/connection/uni_sse?cf_connect=${encodeURIComponent(JSON.stringify({ token }))}`)).status, 404);
  assert.equal((await fetch(`${ts.url}/connection/uni_http_stream`, { method: 'POST', body: JSON.stringify({ token }) })).status, 404);
});

test('the uni connect push does not announce pong (the consumer cannot answer)', async (t) => {
  const { ts, token } = await setup(t);
  const s = await openUni(t, ts, 'uni_sse', { token });
  const c = (await s.waitFor((m) => m.connect)).connect;
  assert.notEqual(c.pong, true);
});
