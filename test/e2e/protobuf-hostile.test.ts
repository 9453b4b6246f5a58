// Issue 9: hostile binary input on the Protobuf encoding gets the same coded refusals as hostile JSON
// (an error reply, or a close with 3501 / 1009), never a crash or an uncoded 1006; other clients on
// both encodings keep being served throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient, sdkClient } from '../helpers/clients.ts';
import { protobufRawClient, type ProtobufRawClient } from '../helpers/raw-protobuf.ts';
import { dataOf, ENCODINGS, listen, payload, sleep, tokenFor, waitFor } from './e2e-kit.ts';

type T = Parameters<typeof startServer>[0];

async function setup(t: T) {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const tokens = { alice: await tokenFor(ts, app, 'alice'), carol: await tokenFor(ts, app, 'carol') };
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'carol'] })).status, 201);
  return { ts, app, tokens };
}

/** A Command written field by field, for what the SDK never sends. */
const w = () => protobuf.Writer.create();
const delimited = (inner: Uint8Array) => w().bytes(inner).finish();
const TAG = (field: number, wire: number) => (field << 3) | wire;

/** Frames that are not valid Protobuf of client.proto: each closes the connection 3501, as malformed JSON does. */
const MALFORMED: [string, Uint8Array][] = [
  ['a truncated length varint', new Uint8Array([0x80])],
  ['a truncated varint inside a command (id)', delimited(new Uint8Array([TAG(1, 0), 0xff, 0xff]))],
  ['a length past the frame', new Uint8Array([0x0a, TAG(1, 0), 0x01])],
  ['a nested length past the command', delimited(w().uint32(TAG(1, 0)).uint32(5).uint32(TAG(13, 2)).uint32(50).uint32(TAG(2, 2)).finish())],
  ['wrong wire type: id as bytes', delimited(w().uint32(TAG(1, 2)).bytes(new Uint8Array([0x41])).finish())],
  ['wrong wire type: publish as a varint', delimited(w().uint32(TAG(1, 0)).uint32(5).uint32(TAG(7, 0)).uint32(1).finish())],
  ['wrong wire type: channel as fixed64', delimited(w().uint32(TAG(1, 0)).uint32(5).uint32(TAG(7, 2)).fork().uint32(TAG(1, 1)).fixed64(1).ldelim().finish())],
  ['an end-group tag without a group', delimited(new Uint8Array([TAG(1, 4)]))],
  ['invalid UTF-8 in a string', delimited(w().uint32(TAG(1, 0)).uint32(5).uint32(TAG(13, 2)).fork().uint32(TAG(2, 2)).bytes(new Uint8Array([0xc3, 0x28])).ldelim().finish())],
  ['a JSON command sent as a binary frame', new TextEncoder().encode('{"id":5,"rpc":{"method":"channel.list"}}')],
];

async function connectedPb(t: T, ts: TestServer, token: string) {
  const c = await protobufRawClient(t, ts.wsUrl);
  assert.ok((await c.call('connect', { token })).connect);
  return c;
}

/** The connection is still served: a command is answered. */
async function alive(c: ProtobufRawClient, id: number): Promise<void> {
  c.sendRaw(c.frame({ id, rpc: { method: 'channel.list', data: {} } }));
  assert.ok((await c.waitFor((m) => m.id === id)).rpc);
}

async function hostileSetup(t: T) {
  const { ts, app, tokens } = await setup(t);
  // Bystanders on both encodings must never notice.
  const bystanders = await Promise.all(ENCODINGS.map((encoding) => sdkClient(t, ts.wsUrl, tokens.carol, { encoding })));
  const seen = await Promise.all(bystanders.map((c) => listen(c, 'room')));
  const drops: number[] = [];
  for (const c of bystanders) c.on('disconnected', (d) => drops.push(d.code)).on('connecting', (d) => drops.push(d.code));
  return { ts, app, tokens, bystanders, seen, drops };
}

async function bystandersStillServed(ts: TestServer, app: TestApp, b: Awaited<ReturnType<typeof hostileSetup>>): Promise<void> {
  const r = await api(ts, app, 'POST', '/publish', { channel: 'room', data: { still: 'here' } });
  assert.equal(r.status, 200);
  await waitFor('both bystanders get it', () => b.seen.every((s) => s.some((p) => dataOf<{ still?: string } | null>(p.data)?.still === 'here')));
  for (const c of b.bystanders) assert.deepEqual(dataOf((await c.rpc('channel.list', payload(c === b.bystanders[0] ? 'json' : 'protobuf', {}))).data).channels.map((x: { channel: string }) => x.channel), ['room']);
  assert.deepEqual(b.drops, []);
}

test('hostile binary frames: malformed Protobuf is closed 3501 like malformed JSON, before and after connect; unknown fields are accepted', { timeout: 30_000 }, async (t) => {
  const b = await hostileSetup(t);
  const { ts, app, tokens } = b;

  const json = await rawClient(t, ts.wsUrl);
  await json.call('connect', { token: tokens.alice });
  json.sendRaw('{"id":2,"rpc":');
  assert.equal((await json.waitClosed()).code, 3501, 'the JSON reference');

  for (const [what, frame] of MALFORMED) {
    for (const connected of [false, true]) {
      const c = connected ? await connectedPb(t, ts, tokens.alice) : await protobufRawClient(t, ts.wsUrl);
      c.sendRaw(frame);
      const closed = await c.waitClosed();
      assert.equal(closed.code, 3501, `${what} (${connected ? 'connected' : 'before connect'}): ${JSON.stringify(closed)} ${JSON.stringify(c.received)}`);
      assert.match(closed.reason, /^bad request/);
      assert.ok(Buffer.byteLength(closed.reason) <= 123);
    }
  }

  // A text frame on a Protobuf connection is read as Protobuf (JSON text is not): 3501.
  const text = await connectedPb(t, ts, tokens.alice);
  text.sendRaw('{"id":2,"rpc":{"method":"channel.list"}}');
  assert.equal((await text.waitClosed()).code, 3501);

  // Unknown fields, at the top and inside a request, of every wire type: skipped.
  const c = await connectedPb(t, ts, tokens.alice);
  const rpc = w().uint32(TAG(2, 2)).string('channel.list').uint32(TAG(50, 5)).fixed32(7).uint32(TAG(1, 2)).bytes(new TextEncoder().encode('{}')).finish();
  const cmd = w().uint32(TAG(1, 0)).uint32(9).uint32(TAG(100, 0)).uint64(2 ** 40).uint32(TAG(101, 2)).string('future')
    .uint32(TAG(13, 2)).bytes(rpc).uint32(TAG(102, 1)).fixed64(1).finish();
  c.sendRaw(delimited(cmd));
  const reply = await c.waitFor((m) => m.id === 9);
  assert.deepEqual(reply.rpc?.data?.channels?.map((x: { channel: string }) => x.channel), ['room'], JSON.stringify(reply));
  await alive(c, 10);

  assert.equal(ts.server.connections(app.id).filter((x) => x.user === 'alice').length, 1, 'only the well-behaved alice is left');
  await bystandersStillServed(ts, app, b);
});

test('hostile binary frames: a frame over maxFrameBytes is closed 1009 on both encodings; random bytes get coded refusals, never 1006', { timeout: 60_000 }, async (t) => {
  const b = await hostileSetup(t);
  const { ts, app, tokens } = b;
  const limit = ts.server.config.maxFrameBytes;

  for (const size of [limit + 1, 2 * 1024 * 1024]) {
    const pb = await connectedPb(t, ts, tokens.alice);
    pb.sendRaw(Buffer.alloc(size, 0x08));
    assert.equal((await pb.waitClosed()).code, 1009, `Protobuf, ${size} bytes`);
    const json = await rawClient(t, ts.wsUrl);
    await json.call('connect', { token: tokens.alice });
    json.sendRaw(JSON.stringify({ id: 2, rpc: { method: 'x', data: 'y'.repeat(size) } }));
    assert.equal((await json.waitClosed()).code, 1009, `JSON, ${size} bytes`);
  }

  // Random frames, and valid frames with a few bytes changed (a fixed seed, so a failure replays):
  // each is refused with a code, or decodes to commands that are answered; the connection never
  // dies uncoded.
  let seed = 0x9e3779b9;
  const rand = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const byte = () => Math.floor(rand() * 256);
  const outcomes = new Map<string, number>();
  const probe = await connectedPb(t, ts, tokens.alice);
  const valid = Buffer.from(probe.frame(
    { id: 7, rpc: { method: 'channel.list', data: {} } },
    { id: 8, presence_stats: { channel: 'room' } },
    { id: 9, history: { channel: 'room', limit: 2, reverse: true } },
    { id: 10, publish: { channel: 'room', data: { text: 'mutant' } } },
  ));
  probe.close();
  for (let i = 0; i < 160; i++) {
    let frame: Buffer;
    if (i % 2 === 0) frame = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, byte));
    else {
      frame = Buffer.from(valid);
      for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) frame[Math.floor(rand() * frame.length)] = byte();
    }
    const c = await connectedPb(t, ts, tokens.alice);
    c.sendRaw(frame);
    // A command the server answers after the frame: if the socket is still open it must be served.
    await sleep(5);
    if (!c.closed) {
      try {
        await alive(c, 1_000_000);
        outcomes.set('served', (outcomes.get('served') ?? 0) + 1);
        c.close();
        continue;
      } catch (err) {
        if (!c.closed) throw new Error(`frame ${frame.toString('hex')}: open but not served: ${(err as Error).message}`);
      }
    }
    const code = c.closed!.code;
    assert.ok(code >= 3500 && code <= 3999, `frame ${frame.toString('hex')}: closed ${JSON.stringify(c.closed)}`);
    outcomes.set(String(code), (outcomes.get(String(code)) ?? 0) + 1);
  }
  assert.ok((outcomes.get('3501') ?? 0) >= 80 && (outcomes.get('served') ?? 0) >= 10, `both outcomes occur: ${JSON.stringify([...outcomes])}`);

  await waitFor('hostile connections gone', () => ts.server.connections(app.id).filter((x) => x.user === 'alice').length === 0);
  await bystandersStillServed(ts, app, b);
});
