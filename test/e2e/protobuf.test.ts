// Issue 9: the Protobuf encoding end to end. JSON and Protobuf clients share channels and see the same
// values (a Protobuf payload is the UTF-8 text of a JSON value); a Protobuf payload that is not JSON
// is refused for that command only. Hostile binary input: protobuf-hostile.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublicationContext } from 'centrifuge';
import { startServer } from '../helpers/server.ts';
import { api, rawClient, sdkClient, type Encoding } from '../helpers/clients.ts';
import { protobufRawClient } from '../helpers/raw-protobuf.ts';
import { createServer } from '../../src/index.ts';
import { dataOf, ENCODINGS, listen, payload, sleep, startBuilt, testConfig, tokenFor, waitFor } from './e2e-kit.ts';

type T = Parameters<typeof startServer>[0];

async function setup(t: T) {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const users = ['alice', 'bob', 'carol', 'dave'];
  const tokens = Object.fromEntries(await Promise.all(users.map(async (u) => [u, await tokenFor(ts, app, u, 'phone')]))) as Record<string, string>;
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: users })).status, 201);
  return { ts, app, tokens };
}

/** What a subscriber saw, in JSON terms: comparable across encodings. */
const view = (pubs: PublicationContext[]) => pubs.map((p) => ({ offset: p.offset, data: dataOf(p.data), user: p.info?.user, event: p.tags?.event }));

const VALUES: unknown[] = [
  { text: 'héllo ✓', emoji: '🎉' },
  'a plain string',
  0,
  false,
  null,
  [1, 'two', { three: [3] }],
  { nested: { deep: [true, null, -1.5e300, 12345678901234567890] } },
  'x'.repeat(20_000),
  '',
  { 'key with "quotes"\n': '\u0000\u001f\u2028' },
];

test('a channel with JSON and Protobuf subscribers gets every publication on both, in order, equal, from publishers of both kinds and the server API', { timeout: 30_000 }, async (t) => {
  const { ts, app, tokens } = await setup(t);
  const pubJson = await sdkClient(t, ts.wsUrl, tokens.alice!, { encoding: 'json' });
  const pubPb = await sdkClient(t, ts.wsUrl, tokens.bob!, { encoding: 'protobuf' });
  const subJson = await listen(await sdkClient(t, ts.wsUrl, tokens.carol!, { encoding: 'json' }), 'room');
  const subPb = await listen(await sdkClient(t, ts.wsUrl, tokens.dave!, { encoding: 'protobuf' }), 'room');
  // A raw Protobuf subscriber sees the frames themselves: binary only.
  const raw = await protobufRawClient(t, ts.wsUrl);
  assert.equal(raw.ws.protocol, 'centrifuge-protobuf');
  assert.ok((await raw.call('connect', { token: tokens.dave })).connect);
  assert.ok((await raw.call('subscribe', { channel: 'room' })).subscribe);

  const publishers: [string, Encoding | 'api', (v: unknown) => Promise<unknown>][] = [
    ['json publish', 'json', (v) => pubJson.publish('room', payload('json', v))],
    ['json rpc publish', 'json', (v) => pubJson.rpc('publish', payload('json', { channel: 'room', data: v }))],
    ['protobuf publish', 'protobuf', (v) => pubPb.publish('room', payload('protobuf', v))],
    ['protobuf rpc publish', 'protobuf', (v) => pubPb.rpc('publish', payload('protobuf', { channel: 'room', event: 'pb', data: v }))],
    ['server API', 'api', async (v) => assert.equal((await api(ts, app, 'POST', '/publish', { channel: 'room', data: v, sender: 'alice' })).status, 200)],
  ];
  // One after another: every publisher sends every value, so offset k holds a known value.
  const expected: { data: unknown; user: string }[] = [];
  for (const v of VALUES) {
    for (const [, kind, send] of publishers) {
      await send(v);
      expected.push({ data: v, user: kind === 'protobuf' ? 'bob' : 'alice' });
    }
  }
  // Then a burst from all of them at once: the order is the server's, and the same for everyone.
  await Promise.all(Array.from({ length: 40 }, (_, i) => publishers[i % publishers.length]![2]({ burst: i })));
  const n = expected.length + 40;
  await waitFor(`${n} publications on both`, () => subJson.length >= n && subPb.length >= n, 10_000);
  await raw.waitFor(() => raw.received.filter((m) => m.push?.pub).length >= n, 10_000);
  await sleep(100);

  const j = view(subJson);
  assert.deepEqual(j.map((p) => p.offset), Array.from({ length: n }, (_, i) => i + 1), 'JSON: every publication once, in order');
  assert.deepEqual(view(subPb), j, 'the Protobuf subscriber sees exactly what the JSON one sees');
  assert.deepEqual(j.slice(0, expected.length).map((p) => ({ data: p.data, user: p.user })), expected);
  assert.deepEqual(j.slice(expected.length).map((p) => (p.data as { burst: number }).burst).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  assert.ok(j.some((p) => p.event === 'pb'), 'the event of a Protobuf rpc publish reaches JSON subscribers');

  const rawPubs = raw.received.filter((m) => m.push?.pub).map((m) => ({ offset: m.push.pub.offset, data: m.push.pub.data }));
  assert.deepEqual(rawPubs, j.map((p) => ({ offset: p.offset, data: p.data })));
  assert.equal(raw.textFrames, 0, 'a Protobuf connection gets binary frames only');

  // Stored once, as the value: the server API's history is JSON and agrees.
  const hist = await api(ts, app, 'GET', `/channels/room/history?limit=${expected.length}`);
  assert.deepEqual(hist.body.publications.map((p: { data: unknown }) => p.data), expected.map((e) => e.data));
});

test('the encoding is chosen per connection: the centrifuge-protobuf subprotocol or ?format=protobuf; anything else is JSON', { timeout: 20_000 }, async (t) => {
  const { ts, tokens } = await setup(t);
  for (const [what, c] of [
    ['subprotocol', await protobufRawClient(t, ts.wsUrl)],
    ['?format=protobuf', await protobufRawClient(t, `${ts.wsUrl}?format=protobuf`, false)],
    ['?format=protobuf after other parameters', await protobufRawClient(t, `${ts.wsUrl}?cf_ws_frame_ping_pong=true&format=protobuf`, false)],
  ] as const) {
    const r = await c.call('connect', { token: tokens.alice });
    assert.equal(r.connect?.data?.user, 'alice', `${what}: ${JSON.stringify(r)}`);
    assert.equal(c.textFrames, 0, what);
  }
  // JSON otherwise: nothing asked for, another format, a lookalike parameter.
  for (const [what, url] of [
    ['nothing asked', ts.wsUrl],
    ['?format=json', `${ts.wsUrl}?format=json`],
    ['a lookalike parameter', `${ts.wsUrl}?xformat=protobuf`],
  ] as const) {
    const c = await rawClient(t, url);
    assert.equal(c.ws.protocol, '', what);
    assert.equal((await c.call('connect', { token: tokens.alice })).connect?.data?.user, 'alice', what);
  }
});

test('message pushes (read receipts) reach a user\'s JSON and Protobuf devices alike', { timeout: 20_000 }, async (t) => {
  const { ts, app } = await setup(t);
  await api(ts, app, 'POST', '/publish', { channel: 'room', data: 'one', sender: 'alice' });
  const clients = await Promise.all(ENCODINGS.map(async (encoding) => sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'bob', encoding), { encoding })));
  const messages = clients.map((c) => {
    const got: unknown[] = [];
    c.on('message', (m) => got.push(dataOf(m.data)));
    return got;
  });
  const marked = await clients[1]!.rpc('read.mark', payload('protobuf', { channel: 'room', offset: 1 }));
  const pushed = { type: 'read', channel: 'room', readOffset: 1, unread: 0 };
  assert.deepEqual(dataOf(marked.data), { channel: 'room', readOffset: 1, unread: 0 });
  await waitFor('the push on both devices', () => messages.every((m) => m.length === 1));
  assert.deepEqual(messages, [[pushed], [pushed]]);
});

test('async send reaches the server\'s `send` handler with the same value from both encodings', { timeout: 20_000 }, async (t) => {
  const cfg = testConfig();
  const server = await createServer(cfg);
  const got: { user: string; data: unknown }[] = [];
  server.command('send', ({ user, data }) => void got.push({ user, data }));
  const ts = await startBuilt(t, server, cfg.dataDir);
  const app = await ts.createApp();
  const clients = await Promise.all(ENCODINGS.map(async (encoding) => sdkClient(t, ts.wsUrl, await tokenFor(ts, app, encoding), { encoding })));
  for (const v of VALUES.slice(0, 6)) for (const [i, c] of clients.entries()) await c.send(payload(ENCODINGS[i]!, v));
  await waitFor('every send', () => got.length === 12);
  // A send has no reply, so only each connection's own order is defined.
  for (const enc of ENCODINGS) assert.deepEqual(got.filter((g) => g.user === enc).map((g) => g.data), VALUES.slice(0, 6), enc);
});

test('a Protobuf payload that is not UTF-8 JSON text: 107 for that command, nothing stored, JSON subscribers unaffected, connection kept (3501 when there is no reply to carry it)', { timeout: 20_000 }, async (t) => {
  const { ts, app, tokens } = await setup(t);
  const pb = await sdkClient(t, ts.wsUrl, tokens.bob!, { encoding: 'protobuf' });
  const subJson = await listen(await sdkClient(t, ts.wsUrl, tokens.carol!, { encoding: 'json' }), 'room');
  const subPb = await listen(await sdkClient(t, ts.wsUrl, tokens.dave!, { encoding: 'protobuf' }), 'room');
  const drops: number[] = [];
  pb.on('disconnected', (d) => drops.push(d.code));
  pb.on('connecting', (d) => drops.push(d.code));

  const bad: [string, Uint8Array][] = [
    ['binary', new Uint8Array([0xff, 0xfe, 0x00, 0x01])],
    ['text that is not JSON', new TextEncoder().encode('hello')],
    ['truncated JSON', new TextEncoder().encode('{"a":')],
    ['invalid UTF-8 inside a JSON string', new Uint8Array([0x22, 0xc3, 0x28, 0x22])],
    ['two JSON values', new TextEncoder().encode('1 2')],
  ];
  for (const [what, bytes] of bad) {
    await assert.rejects(pb.publish('room', bytes), (e: { code: number; message: string }) => e.code === 107 && /UTF-8 JSON/.test(e.message), `publish, ${what}`);
    await assert.rejects(pb.rpc('publish', bytes), (e: { code: number }) => e.code === 107, `rpc, ${what}`);
  }
  await assert.rejects(pb.publish('room', new Uint8Array(0)), (e: { code: number }) => e.code === 107, 'no payload at all');
  const top = await api(ts, app, 'GET', '/channels/room');
  assert.equal(top.body.offset, 0, 'nothing stored');

  // The connection stays and works; JSON subscribers get the next good one as their first.
  assert.equal(pb.state, 'connected');
  await pb.publish('room', payload('protobuf', { ok: true }));
  await waitFor('the good publication', () => subJson.length === 1 && subPb.length === 1);
  await sleep(50);
  assert.deepEqual(view(subJson), [{ offset: 1, data: { ok: true }, user: 'bob', event: 'message' }]);
  assert.deepEqual(view(subPb), view(subJson));
  assert.deepEqual(drops, []);

  // Over raw frames: the error reply carries the command's id; later commands in the frame still run.
  const raw = await protobufRawClient(t, ts.wsUrl);
  assert.ok((await raw.call('connect', { token: tokens.bob })).connect);
  raw.sendRaw(raw.frame(
    { id: 2, publish: { channel: 'room', data: new Uint8Array([0x80]) } },
    { id: 3, rpc: { method: 'channel.list', data: {} } },
  ));
  const refused = await raw.waitFor((m) => m.id === 2);
  assert.equal(refused.error.code, 107);
  assert.match(refused.error.message, /publish\.data must be UTF-8 JSON text/);
  assert.ok((await raw.waitFor((m) => m.id === 3)).rpc, 'the next command of the frame is answered');
  assert.equal(raw.closed, undefined);
  // Nothing to answer on: a connect, or a send (no reply), whose data is not JSON ends the connection
  // with 3501 naming the field, as a malformed JSON send does.
  const early = await protobufRawClient(t, ts.wsUrl);
  early.sendRaw(early.frame({ id: 1, connect: { token: tokens.bob, data: new TextEncoder().encode('nope') } }));
  assert.deepEqual(await early.waitClosed(), { code: 3501, reason: 'bad request: connect.data must be UTF-8 JSON text' });
  const sender = await sdkClient(t, ts.wsUrl, tokens.bob!, { encoding: 'protobuf' });
  const ended = new Promise<{ code: number; reason: string }>((r) => sender.once('disconnected', r));
  await sender.send(new Uint8Array([0xff]));
  assert.deepEqual(await ended, { code: 3501, reason: 'bad request: send.data must be UTF-8 JSON text' });
  const jsonSender = await rawClient(t, ts.wsUrl);
  await jsonSender.call('connect', { token: tokens.bob });
  jsonSender.sendRaw('{"send":5}');
  assert.equal((await jsonSender.waitClosed()).code, 3501, 'the JSON reference');
});
