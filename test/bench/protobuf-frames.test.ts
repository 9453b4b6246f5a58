import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conn, FIRST_PUBLISH_ID, type Sink } from '../../bench/load/protocols.ts';
import { parseFrame, xpushProtobuf } from '../../bench/load/protobuf.ts';
import { encodeData } from '../../bench/load/payload.ts';
import { OutFrame, PING } from '../../src/channel/out-frame.ts';
import { decodeCommandFrame, encodeReplies as encodeReplyObjects } from '../../src/protocol/protobuf/codec.ts';
import { Push, errorReply, reply } from '../../src/protocol/frames.ts';

/**
 * The load generator's Protobuf client (bench/load/protobuf.ts) reads frames exactly as XPUSH's
 * encoder writes them: the fan-out's OutFrame.pb, the ping, replies from the codec.
 */

interface Seen {
  messages: [number, number, number][];
  acks: [number, number][];
  fails: string[];
  ready: number;
  sent: Uint8Array[];
}

function client(subs: string[] = ['acked']): { c: Conn; seen: Seen } {
  const seen: Seen = { messages: [], acks: [], fails: [], ready: 0, sent: [] };
  const sink: Sink = {
    ready: () => void seen.ready++,
    fail: (_c, why) => void seen.fails.push(why),
    message: (_c, u, seq, t) => void seen.messages.push([u, seq, t]),
    ack: (_c, id, offset) => void seen.acks.push([id, offset]),
  };
  const c = new Conn(sink, 7, 'tok.en', subs);
  c.ws = { send: () => assert.fail('a Protobuf client sends no text frame'), sendBytes: (b) => void seen.sent.push(b), terminate: () => undefined };
  return { c, seen };
}

/** frames.ts builds its replies as plain objects. */
const encodeReplies = (replies: object[]): Uint8Array => encodeReplyObjects(replies as Record<string, unknown>[]);

/** What RawWs hands over for a binary frame: the payload as latin1. */
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}

/** Past the delimited message at `at` (a length prefix of at most 2 bytes). */
function skip(b: Buffer, at: number): number {
  return b[at]! >= 0x80 ? at + 2 + ((b[at]! & 0x7f) | (b[at + 1]! << 7)) : at + 1 + b[at]!;
}

/** A publication push as the fan-out writes it (JSON line; the frame's Protobuf form is made from it). */
function pubLine(u: number, seq: number, offset: number): string {
  const data = JSON.parse(encodeData(u, seq, 1234 + seq, 100));
  return JSON.stringify(Push.pub('acked', { data, offset, info: { user: 'publisher', client: 'c1' }, tags: { k: 'v' }, time: 1_700_000_000_000 }));
}

test('several publications in one fan-out frame are all found, in order, without a decode', () => {
  const { c, seen } = client();
  const frame = OutFrame.json([pubLine(5, 1, 11), pubLine(5, 2, 12), pubLine(5, 3, 13)].join('\n'));
  const pb = Buffer.from(frame.pb);
  // each Reply begins with the push field's tag: the case the scan takes
  for (let at = 0, n = 0; at < pb.length; n++, at = skip(pb, at)) assert.equal(pb[at + (pb[at]! >= 0x80 ? 2 : 1)], 0x22, `reply ${n}`);
  parseFrame(c, latin1(pb));
  assert.deepEqual(seen.messages, [[5, 1, 1235], [5, 2, 1236], [5, 3, 1237]]);
  assert.deepEqual(seen.fails, []);
});

test('a ping among publications and replies is answered with an empty command; acks and subscribe replies are read', () => {
  const { c, seen } = client(['a', 'b']);
  c.pendingSubs = 2;
  const pub = OutFrame.json(pubLine(9, 4, 1)).pb;
  const replies = encodeReplies([reply(FIRST_PUBLISH_ID + 4, 'publish', {}), reply(2, 'subscribe', { recoverable: true, epoch: 'e', offset: 3 }), reply(3, 'subscribe', {})]);
  parseFrame(c, latin1(Buffer.concat([PING.pb, pub, PING.pb, replies])));
  assert.deepEqual(seen.messages, [[9, 4, 1238]]);
  assert.equal(seen.sent.length, 2, 'one pong per ping');
  for (const pong of seen.sent) {
    assert.deepEqual([...pong], [0], 'an empty Command, length-delimited');
    assert.deepEqual(decodeCommandFrame(pong), [{ ok: true, pong: true }], 'the server reads it as a pong');
  }
  // the Protobuf PublishResult has no fields: no offset to check
  assert.deepEqual(seen.acks, [[FIRST_PUBLISH_ID + 4, -1]]);
  assert.equal(seen.ready, 1, 'ready once both subscribe replies arrived');
  assert.deepEqual(seen.fails, []);
});

test('the commands it sends decode with the server codec: connect with the token, one frame of subscribes, publish with JSON data', () => {
  const { c, seen } = client(['x', 'y']);
  xpushProtobuf.open(c);
  assert.deepEqual(decodeCommandFrame(seen.sent[0]!), [{ ok: true, id: 1, name: 'connect', body: { token: 'tok.en' } }]);

  parseFrame(c, latin1(encodeReplies([reply(1, 'connect', { client: 'abc', version: '1', ping: 25, pong: true })])));
  const subs = decodeCommandFrame(seen.sent[1]!);
  assert.deepEqual(subs, [
    { ok: true, id: 2, name: 'subscribe', body: { channel: 'x' } },
    { ok: true, id: 3, name: 'subscribe', body: { channel: 'y' } },
  ]);

  xpushProtobuf.publish(c, 'x', encodeData(3, 8, 99, 100), FIRST_PUBLISH_ID + 8);
  assert.deepEqual(decodeCommandFrame(seen.sent[2]!), [
    { ok: true, id: FIRST_PUBLISH_ID + 8, name: 'publish', body: { channel: 'x', data: JSON.parse(encodeData(3, 8, 99, 100)) } },
  ]);
  assert.deepEqual(seen.fails, []);
});

test('a publication whose encoding does not start with the push field is decoded the slow way', () => {
  const { c, seen } = client();
  const whole = Buffer.from(OutFrame.json(pubLine(2, 6, 1)).pb);
  let at = 0;
  while (whole[at]! >= 0x80) at++;
  // the same Reply with an unknown field first (field 3, varint 0: skipped by every Protobuf reader)
  const reordered = Buffer.concat([Buffer.from([0x18, 0x00]), whole.subarray(at + 1)]);
  parseFrame(c, latin1(Buffer.concat([varint(reordered.length), reordered])));
  assert.deepEqual(seen.messages, [[2, 6, 1240]]);
  assert.deepEqual(seen.fails, []);
});

test('errors, unsubscribe and disconnect pushes and malformed frames fail the client', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['error reply', encodeReplies([errorReply(2, { code: 103, message: 'permission denied' })]), /permission denied/],
    ['unsubscribe push', encodeReplies([Push.unsubscribe('acked', 2500, 'gone')]), /unsubscribe/],
    ['disconnect push', encodeReplies([Push.disconnect(3001, 'shutdown', true)]), /disconnect/],
    ['length past the end', Uint8Array.from([0x10, 0x22, 0x00]), /past the end/],
    ['truncated length prefix', Uint8Array.from([0x80]), /bad length prefix/],
    ['not a Reply', Uint8Array.from([0x02, 0x0a, 0x05]), /undecodable/],
  ];
  for (const [name, frame, why] of cases) {
    const { c, seen } = client();
    parseFrame(c, latin1(frame));
    assert.equal(seen.fails.length, 1, name);
    assert.match(seen.fails[0]!, why, name);
    assert.deepEqual(seen.messages, [], name);
  }
});
