// Issue 9 item 2: the Protobuf build of centrifuge-js over http_stream (varint-framed replies on the
// stream, Protobuf EmulationRequest bodies on POST /emulation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import type { PublicationContext, SubscribedContext } from 'centrifuge';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, userSession } from '../helpers/clients.ts';
import { connectOver, httpGate } from '../helpers/http-transports.ts';
import { serverSockets, sleep, waitFor } from './e2e-kit.ts';
import { decodeEmulationRequest } from '../../src/protocol/protobuf/codec.ts';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function publishN(ts: TestServer, app: TestApp, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    const r = await api(ts, app, 'POST', '/publish', { channel: 'room', event: 'n', data: { i }, sender: 'alice' });
    assert.equal(r.body.offset, i, JSON.stringify(r.body));
  }
}

test('centrifuge-js Protobuf [http_stream]: connect, subscribe, publish, rpc, pings answered, then recovery after the server drops the stream', { timeout: 30_000 }, async (t) => {
  const ts = await startServer(t, { pingIntervalMs: 1000, pongTimeoutMs: 800 });
  const killer = serverSockets(ts);
  const app = await ts.createApp();
  await userSession(ts, app, 'alice');
  const bob = await userSession(ts, app, 'bob');
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'] });

  const gate = httpGate();
  const kinds: string[] = [];
  let pongs = 0;
  const recording = gate.fetch;
  gate.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    kinds.push(`${path} ${new Headers(init?.headers).get('content-type')}`);
    const res = await recording(input, init);
    // A pong is an empty Command: its EmulationRequest carries the one byte 0x00 (length 0).
    if (path === '/emulation' && res.status === 204 && Buffer.from(decodeEmulationRequest(init!.body as Uint8Array).data).equals(Buffer.from([0]))) pongs++;
    return res;
  }) as typeof fetch;
  const { c, ctx } = await connectOver(t, ts.url, ['http_stream'], bob.accessToken, { gate, ctor: ProtobufCentrifuge as never });
  assert.equal(ctx.transport, 'http_stream');
  const drops: number[] = [];
  c.on('connecting', (x) => drops.push(x.code));
  assert.equal(ts.server.connections(app.id).length, 1);

  const sub = c.newSubscription('room');
  const got: PublicationContext[] = [];
  const subscribed: SubscribedContext[] = [];
  sub.on('publication', (p) => got.push(p));
  sub.on('subscribed', (s) => subscribed.push(s));
  sub.subscribe();
  await sub.ready(3000);
  // A Protobuf client publishes the UTF-8 bytes of a JSON value.
  await sub.publish(new TextEncoder().encode(JSON.stringify({ i: 1 })));
  await publishN(ts, app, 2, 3);
  await waitFor('3 live publications', () => got.length === 3);
  const list = await c.rpc('channel.list', new TextEncoder().encode('{}'));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(list.data as Uint8Array)).channels.length, 1);
  // The bytes were stored as the JSON value: a JSON reader of the channel sees { i: 1 }.
  const hist = await api(ts, app, 'GET', '/channels/room/history?after=0&limit=1');
  assert.deepEqual(hist.body.publications.map((p: { offset: number; data: unknown }) => [p.offset, p.data]), [[1, { i: 1 }]]);

  // Pings (zero-length Replies) are answered with pongs through /emulation; the connection stays.
  await waitFor('3 pongs', () => pongs >= 3, 8000);
  assert.deepEqual(drops, []);
  assert.deepEqual(ts.server.connections(app.id).map((x) => x.client), [ctx.client]);

  gate.block();
  killer.killAll();
  await waitFor('server forgets the connection', () => ts.server.connections(app.id).length === 0);
  await waitFor('client notices', () => c.state !== 'connected');
  await publishN(ts, app, 4, 7);
  gate.unblock();
  await waitFor('resubscribed', () => subscribed.length === 2, 8000);
  await publishN(ts, app, 8, 8);
  await waitFor('all 8', () => got.length >= 8);
  await sleep(100);
  assert.deepEqual(got.map((p) => p.offset), range(1, 8), 'every publication exactly once, in order');
  assert.deepEqual(got.map((p) => JSON.parse(new TextDecoder().decode(p.data as Uint8Array)).i), range(1, 8));
  assert.equal(subscribed[1]!.wasRecovering, true);
  assert.equal(subscribed[1]!.recovered, true);
  // Everything went Protobuf: the stream open and every emulation POST.
  assert.ok(kinds.length >= 4 && kinds.every((k) => k.endsWith(' application/octet-stream')), JSON.stringify(kinds));
  assert.ok(gate.requests.filter((r) => r.path === '/emulation' && r.status !== undefined).every((r) => r.status === 204));
});
