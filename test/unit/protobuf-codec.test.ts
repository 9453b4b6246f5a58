import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeCommands, decodeCommandFrame, decodeEmulationRequest, decodeReplies, encodeCommands, encodeEmulationRequest,
  encodeReplies, encodeReply, encodeReplyFromJson, PING_FRAME, ProtobufDecodeError, DEFAULT_MAX_FRAME_BYTES,
} from '../../src/protocol/protobuf/codec.ts';
import { checkCommand } from '../../src/protocol/codec.ts';
import { sdkProtobufCodec, toSdk, fromSdk } from '../helpers/sdk-protobuf.ts';

const sdk = sdkProtobufCodec();
const okValues = (frame: Uint8Array) => decodeCommands(frame).map((c) => (c.ok ? c.value : assert.fail(JSON.stringify(c))));

const info = { user: 'u1', client: 'c-1', conn_info: { device: 'phone' }, chan_info: { role: 'admin' } };
const pub = { data: { text: 'hi', n: [1, 2, { deep: null }] }, info, offset: 42, tags: { event: 'message', id: 'm-1', ts: '1700000000000' }, time: 1700000000000 };

/** Every command XPUSH reads, in JSON shape (no proto3 defaults: they are absent in the JSON shape). */
const COMMANDS: Record<string, unknown>[] = [
  { id: 1, connect: { token: 'jwt', data: { hello: 'world' }, subs: { 'news': { recover: true, offset: 5, epoch: 'e1' }, 'x:y': {} }, name: 'js', version: '5.8.0', headers: { a: 'b' } } },
  { id: 2, subscribe: { channel: 'chat', token: 't', recover: true, epoch: 'ep', offset: 9, data: 'str', positioned: true, recoverable: true, join_leave: true } },
  { id: 3, unsubscribe: { channel: 'chät ✓ 房间' } },
  { id: 4, publish: { channel: 'chat', data: { text: 'héllo ✓', list: [1, true, null] } } },
  { id: 5, presence: { channel: 'chat' } },
  { id: 6, presence_stats: { channel: 'chat' } },
  { id: 7, history: { channel: 'chat', limit: 10, since: { offset: 3, epoch: 'ep' }, reverse: true } },
  { id: 8, rpc: { method: 'getUnread', data: { since: 1 } } },
  { send: { data: 12.5 } },
  { id: 10, refresh: { token: 'new' } },
  { id: 11, sub_refresh: { channel: 'chat', token: 'sub' } },
  { id: 12, publish: { channel: 'chat', data: false } }, // a JSON `false` is the 5 bytes "false", not a default
  { id: 13, rpc: { method: 'm', data: null } },
  { id: 14, publish: { channel: 'chat', data: 0 } },
  {}, // pong
];

test('every command the SDK encodes decodes to its JSON shape, in order, in one frame', () => {
  const frame = sdk.encodeCommands(COMMANDS.map((c) => toSdk(c) as object));
  assert.deepEqual(okValues(frame), COMMANDS);
});

test('our test-side encodeCommands is read back by the SDK codec and by ours', () => {
  const frame = encodeCommands(COMMANDS);
  assert.deepEqual(sdk.decodeCommands(frame).map(fromSdk), COMMANDS);
  assert.deepEqual(okValues(frame), COMMANDS);
});

test('decoded commands pass the shared envelope check exactly as their JSON does', () => {
  const frame = sdk.encodeCommands(COMMANDS.map((c) => toSdk(c) as object));
  const viaProtobuf = decodeCommandFrame(frame);
  const viaJson = COMMANDS.map((c) => checkCommand(JSON.parse(JSON.stringify(c))));
  assert.deepEqual(viaProtobuf, viaJson);
  assert.deepEqual(viaProtobuf.at(-1), { ok: true, pong: true });
  assert.deepEqual(decodeCommandFrame(encodeCommands([{ id: 5 }, { id: 6, ping: {} }])), [
    { ok: false, id: 5, message: 'no command' },
    { ok: false, id: 6, message: 'unknown command "ping"' },
  ]);
});

test('proto3 defaults sent explicitly are absent from the JSON shape', () => {
  const frame = sdk.encodeCommands([{ id: 1, subscribe: { channel: 'c', token: '', recover: false, offset: 0, epoch: '', data: new Uint8Array(0) } }, { id: 0, send: {} }]);
  assert.deepEqual(okValues(frame), [{ id: 1, subscribe: { channel: 'c' } }, { send: {} }]);
});

/** Every reply and push XPUSH sends, in JSON shape. */
const REPLIES: Record<string, unknown>[] = [
  { id: 1, connect: { client: 'c-1', version: '0.1.0', expires: true, ttl: 300, data: { welcome: 1 }, subs: { news: { recoverable: true, epoch: 'e', offset: 3, positioned: true, publications: [pub], recovered: true, was_recovering: true } }, ping: 25, pong: true, session: 's', node: 'n1' } },
  { id: 2, subscribe: { expires: true, ttl: 60, recoverable: true, epoch: 'ep', publications: [pub, { data: 'second', offset: 43 }], recovered: true, offset: 43, positioned: true, data: { sub: 'data' }, was_recovering: true } },
  { id: 3, unsubscribe: {} },
  { id: 4, publish: {} },
  { id: 5, presence: { presence: { 'c-1': info, 'c-2': { user: 'u2', client: 'c-2' } } } },
  { id: 6, presence_stats: { num_clients: 3, num_users: 2 } },
  { id: 7, history: { publications: [{ ...pub, channel: 'other' }], epoch: 'ep', offset: 42 } },
  { id: 8, rpc: { data: { unread: { chat: 3 } } } },
  { id: 8, rpc: { data: null } },
  { id: 8, rpc: { data: '' } },
  { id: 9, refresh: { client: 'c-1', version: '0.1.0', expires: true, ttl: 600 } },
  { id: 10, sub_refresh: { expires: true, ttl: 60 } },
  { id: 11, error: { code: 107, message: 'bad request', temporary: true } },
  { push: { channel: 'chat', pub } },
  { push: { channel: 'chat', join: { info } } },
  { push: { channel: 'chat', leave: { info } } },
  { push: { channel: 'chat', unsubscribe: { code: 2000, reason: 'server unsubscribe' } } },
  { push: { channel: 'chat', subscribe: { recoverable: true, epoch: 'ep', offset: 7, positioned: true, data: [1] } } },
  { push: { message: { data: { note: 'to you' } } } },
  { push: { connect: { client: 'c-1', version: '0.1.0', data: 'x', subs: { a: {} }, expires: true, ttl: 5, ping: 25, pong: true, session: 's', node: 'n' } } },
  { push: { disconnect: { code: 3503, reason: 'force disconnect', reconnect: true } } },
  { push: { refresh: { expires: true, ttl: 60 } } },
  {}, // ping
];

test('every reply and push we encode reads back in the SDK as the same values', () => {
  for (const r of REPLIES) {
    const [decoded, ...rest] = sdk.decodeReplies(encodeReply(r));
    assert.equal(rest.length, 0);
    assert.deepEqual(fromSdk(decoded), r, JSON.stringify(r));
  }
  const all = encodeReplies(REPLIES);
  assert.deepEqual(sdk.decodeReplies(all).map(fromSdk), REPLIES);
});

test('replies the SDK encodes decode to their JSON shape (test-side decodeReplies)', () => {
  const frame = sdk.encodeReplies(REPLIES.map((r) => toSdk(r) as object));
  assert.deepEqual(decodeReplies(frame), REPLIES);
});

test('from JSON text: one reply, or a fan-out frame of several joined by newlines', () => {
  const text = JSON.stringify(REPLIES[11]);
  assert.deepEqual(Buffer.from(encodeReplyFromJson(text)), Buffer.from(encodeReply(REPLIES[11]!)));
  assert.deepEqual(Buffer.from(encodeReplyFromJson(Buffer.from(text))), Buffer.from(encodeReply(REPLIES[11]!)));
  const frame = REPLIES.slice(11, 15).map((r) => JSON.stringify(r)).join('\n');
  assert.deepEqual(sdk.decodeReplies(encodeReplyFromJson(frame)).map(fromSdk), REPLIES.slice(11, 15));
});

test('encoding leaves out defaults, nulls and keys client.proto does not declare; a Uint8Array payload goes as is', () => {
  const lean = encodeReply({ id: 1, subscribe: { recovered: false, offset: 0, epoch: '', data: undefined, extra: 'x', publications: [] } });
  assert.deepEqual(fromSdk(sdk.decodeReplies(lean)[0]), { id: 1, subscribe: {} });
  assert.deepEqual(Buffer.from(lean), Buffer.from([4, 0x08, 1, 0x32, 0]));
  const raw = encodeReply({ push: { message: { data: Buffer.from('{"pre":"encoded"}') } } });
  assert.deepEqual(fromSdk(sdk.decodeReplies(raw)[0]), { push: { message: { data: { pre: 'encoded' } } } });
});

test('a map key "__proto__" stays an ordinary key both ways', () => {
  const reply = JSON.parse('{"id":1,"connect":{"client":"c","subs":{"__proto__":{"epoch":"e"},"b":{}}}}');
  // (The SDK's own decoder drops such a key when it reads it back; the bytes carry it.)
  assert.ok(Buffer.from(encodeReply(reply)).includes('__proto__'));
  assert.deepEqual(decodeReplies(encodeReply(reply)), [reply]);
  const command = JSON.parse('{"id":2,"connect":{"subs":{"__proto__":{"recover":true}}}}');
  const [v] = okValues(encodeCommands([command]));
  assert.deepEqual(v, command);
  assert.equal(Object.getPrototypeOf((v!.connect as { subs: object }).subs), Object.prototype);
});

test('ping and pong: an empty message, the single byte 0, both ways', () => {
  assert.deepEqual(Buffer.from(PING_FRAME), Buffer.from([0]));
  assert.deepEqual(Buffer.from(encodeReply({})), Buffer.from([0]));
  const [ping] = sdk.decodeReplies(PING_FRAME);
  assert.ok(!ping!.id && !ping!.push, 'the SDK sees a ping');
  const pong = sdk.encodeCommands([{}]);
  assert.deepEqual(Buffer.from(pong), Buffer.from([0]));
  assert.deepEqual(decodeCommands(pong), [{ ok: true, value: {} }]);
  assert.deepEqual(decodeCommandFrame(Buffer.from([0, 0])), [{ ok: true, pong: true }, { ok: true, pong: true }]);
  assert.deepEqual(decodeCommands(new Uint8Array(0)), []);
});

test('uint64 and int64 edge cases become the numbers JSON.parse gives for the same decimals', () => {
  const big = [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53 + 2];
  for (const offset of big) {
    const [v] = okValues(sdk.encodeCommands([{ id: 1, subscribe: { channel: 'c', offset } }]));
    assert.deepEqual(v, { id: 1, subscribe: offset ? { channel: 'c', offset } : { channel: 'c' } }, String(offset));
    const reply = sdk.decodeReplies(encodeReply({ push: { channel: 'c', pub: { data: 1, offset } } }))[0]!;
    assert.equal(String((reply.push as { pub: { offset: unknown } }).pub.offset), offset ? BigInt(offset).toString() : '0');
  }
  // 2^64 - 1, written as the 10-byte varint it is: Command{subscribe{channel 'c', offset 2^64-1}}.
  const subscribe = [0x0a, 0x01, 0x63, 0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  const command = [0x2a, subscribe.length, ...subscribe];
  const [m] = okValues(Buffer.from([command.length, ...command]));
  assert.equal((m!.subscribe as { offset: number }).offset, JSON.parse('18446744073709551615'));
  // Negative int32 (limit -1) is a 10-byte varint; int64 time may be negative; the largest uint32 id.
  const [h] = okValues(sdk.encodeCommands([{ id: 4294967295, history: { channel: 'c', limit: -1 } }]));
  assert.deepEqual(h, { id: 4294967295, history: { channel: 'c', limit: -1 } });
  const [t] = sdk.decodeReplies(encodeReply({ push: { channel: 'c', pub: { data: 1, time: -5 } } }));
  assert.equal(fromSdk((t!.push as { pub: { time: unknown } }).pub.time), -5);
  assert.deepEqual(decodeReplies(encodeReply({ push: { channel: 'c', pub: { data: 1, time: -5 } } })), [{ push: { channel: 'c', pub: { data: 1, time: -5 } } }]);
  // A uint32 id sent as a 10-byte varint keeps its low 32 bits, as Protobuf decoders do.
  const tenByteId = Buffer.from([13, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x62, 0x00]);
  assert.deepEqual(okValues(tenByteId), [{ id: 4294967295, send: {} }]);
});

test('a bytes payload that is not UTF-8 JSON text refuses that command only, naming the field, keeping its id', () => {
  const frame = sdk.encodeCommands([
    { id: 1, publish: { channel: 'c', data: Buffer.from([0xff, 0xfe]) } },
    { id: 2, publish: { channel: 'c', data: Buffer.from('not json') } },
    { id: 3, rpc: { method: 'm', data: Buffer.from('{"a":') } },
    { send: { data: Buffer.from('<xml/>') } },
    { id: 5, connect: { subs: { ch: { data: Buffer.from('x') } } } },
    { id: 6, subscribe: { channel: 'c', data: Buffer.from([0xc3]) } },
    { id: 7, publish: { channel: 'c', data: Buffer.from('"fine"') } },
  ]);
  assert.deepEqual(decodeCommands(frame), [
    { ok: false, id: 1, message: 'publish.data must be UTF-8 JSON text', fatal: false },
    { ok: false, id: 2, message: 'publish.data must be UTF-8 JSON text', fatal: false },
    { ok: false, id: 3, message: 'rpc.data must be UTF-8 JSON text', fatal: false },
    { ok: false, id: undefined, message: 'send.data must be UTF-8 JSON text', fatal: false },
    { ok: false, id: 5, message: 'connect.subs.data must be UTF-8 JSON text', fatal: false },
    { ok: false, id: 6, message: 'subscribe.data must be UTF-8 JSON text', fatal: false },
    { ok: true, value: { id: 7, publish: { channel: 'c', data: 'fine' } } },
  ]);
  // Even when the id comes after the payload on the wire: Command{publish{data 'x'}, id 9}.
  const late = [0x3a, 0x03, 0x12, 0x01, 0x78, 0x08, 0x09];
  assert.deepEqual(decodeCommands(Buffer.from([late.length, ...late])), [{ ok: false, id: 9, message: 'publish.data must be UTF-8 JSON text', fatal: false }]);
  assert.deepEqual(decodeCommandFrame(frame)[0], { ok: false, id: 1, message: 'publish.data must be UTF-8 JSON text' });
});

test('deep JSON inside a payload is refused by the shared envelope check', () => {
  const deep = '['.repeat(500) + ']'.repeat(500);
  const [d] = decodeCommandFrame(sdk.encodeCommands([{ id: 3, rpc: { method: 'm', data: Buffer.from(deep) } }]));
  assert.deepEqual(d, { ok: false, id: 3, message: 'JSON nested deeper than 64 levels' });
});

test('unknown fields of every wire type are skipped', () => {
  const known = Buffer.from(sdk.encodeCommands([{ id: 1, publish: { channel: 'c', data: Buffer.from('1') } }])).subarray(1);
  const unknown = Buffer.from([
    0xf8, 0x06, 0x96, 0x01, // field 111 varint
    0xf9, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, // field 111 fixed64
    0xfd, 0x06, 1, 2, 3, 4, // field 111 fixed32
    0xfa, 0x06, 0x02, 0xff, 0xff, // field 111 bytes
    0xfb, 0x06, 0x08, 0x01, 0xfb, 0x06, 0xfc, 0x06, 0xfc, 0x06, // field 111 group, nested group, ends
  ]);
  const body = Buffer.concat([unknown, known, unknown]);
  const frame = Buffer.concat([Buffer.from([body.length]), body]);
  assert.deepEqual(decodeCommands(frame), [{ ok: true, value: { id: 1, publish: { channel: 'c', data: 1 } } }]);
  // Fields of a nested message the SDK sends but XPUSH does not read (subscribe flag, tags filter) too.
  const withFlag = sdk.encodeCommands([{ id: 2, subscribe: { channel: 'c', flag: 3, tf: { op: 'and', nodes: [{ key: 'k', cmp: 'eq', val: 'v' }] } } }]);
  assert.deepEqual(okValues(withFlag), [{ id: 2, subscribe: { channel: 'c', flag: 3 } }]);
});

const fatal = (frame: Uint8Array, message: string | RegExp, max?: number) => {
  const out = decodeCommands(frame, max);
  const last = out.at(-1)!;
  assert.equal(last.ok, false);
  assert.equal((last as { fatal: boolean }).fatal, true, JSON.stringify(last));
  if (typeof message === 'string') assert.equal((last as { message: string }).message, message);
  else assert.match((last as { message: string }).message, message);
  return out;
};

test('hostile frames: each malformation is fatal, never a throw', () => {
  fatal(Buffer.from([0x80]), 'truncated varint'); // length prefix cut short
  fatal(Buffer.from([0x02, 0x08, 0x80]), 'truncated varint'); // id varint cut at the message end
  fatal(Buffer.from([0x05, 0x08, 0x01]), 'length past the end of the message');
  fatal(Buffer.from([0x04, 0x3a, 0x05, 0x0a, 0x01]), 'length past the end of the message'); // publish longer than its Command
  fatal(Buffer.from([0x05, 0x3a, 0x03, 0x0a, 0x05, 0x61]), 'length past the end of the message'); // channel longer than publish
  fatal(Buffer.from([0x03, 0x0a, 0x01, 0x61]), 'id: wire type 2, expected 0');
  fatal(Buffer.from([0x02, 0x38, 0x01]), 'publish: wire type 0, expected 2');
  fatal(Buffer.from([0x04, 0x3a, 0x02, 0x08, 0x01]), 'publish.channel: wire type 0, expected 2');
  fatal(Buffer.from([0x06, 0x22, 0x04, 0x1a, 0x02, 0x08, 0x01]), /connect.subs: wire type 0 in a map entry/);
  fatal(Buffer.from([0x03, 0xfe, 0x06, 0x01]), 'invalid wire type 6'); // field 111 (unknown)
  fatal(Buffer.from([0x03, 0xff, 0x06, 0x01]), 'invalid wire type 7');
  fatal(Buffer.from([0x02, 0x0e, 0x01]), 'id: wire type 6, expected 0');
  fatal(Buffer.from([0x02, 0x00, 0x01]), 'field number 0');
  fatal(Buffer.from([0x02, 0xfc, 0x06]), 'unexpected end-group tag');
  fatal(Buffer.from([0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'varint longer than 10 bytes');
  fatal(Buffer.from([0x05, 0x3a, 0x03, 0x0a, 0x01, 0xff]), 'publish.channel is not valid UTF-8');
  fatal(Buffer.from([0x07, 0x3a, 0x05, 0x0a, 0x03, 0x61, 0xc3, 0x28]), 'publish.channel is not valid UTF-8'); // a bad sequence after ASCII
  fatal(Buffer.from([0x02, 0xf9, 0x06]), 'truncated fixed64');
  // Groups nested far deeper than any message: refused without recursion.
  const groups = Buffer.from(Array.from({ length: 30_000 }, (_, i) => (i % 2 ? 0x06 : 0xfb))); // field 111 start-group, repeated
  fatal(Buffer.concat([Buffer.from([0x80 | (groups.length & 0x7f), 0x80 | ((groups.length >> 7) & 0x7f), groups.length >> 14]), groups]), 'groups nested too deep');
  // Commands before the malformed one are kept; nothing after it is read.
  const good = sdk.encodeCommands([{ id: 1, presence: { channel: 'a' } }]);
  const out = fatal(Buffer.concat([good, Buffer.from([0x7f, 0x08]), good]), 'length past the end of the message');
  assert.deepEqual(out, [{ ok: true, value: { id: 1, presence: { channel: 'a' } } }, out[1]]);
  assert.equal(out.length, 2);
  assert.deepEqual(decodeCommandFrame(Buffer.from([0x80])), [{ ok: false, id: undefined, message: 'truncated varint', fatal: true }]);
});

test('a 2 MB frame is refused above the limit, and read whole when the limit allows it', () => {
  const payload = Buffer.from(JSON.stringify('x'.repeat(2 * 1024 * 1024)));
  const frame = sdk.encodeCommands([{ id: 1, publish: { channel: 'c', data: payload } }]);
  assert.ok(frame.length > 2 * 1024 * 1024);
  assert.deepEqual(decodeCommands(frame), [{ ok: false, id: undefined, message: `frame of ${frame.length} bytes exceeds the limit of ${DEFAULT_MAX_FRAME_BYTES}`, fatal: true }]);
  const [big] = decodeCommands(frame, 4 * 1024 * 1024);
  assert.equal(big!.ok && ((big.value.publish as { data: string }).data.length), 2 * 1024 * 1024);
  // 2 MB of garbage under a raised limit: one fatal item, quickly.
  const junk = Buffer.alloc(2 * 1024 * 1024, 0xff);
  fatal(junk, 'varint longer than 10 bytes', 4 * 1024 * 1024);
});

test('fuzz: random and mutated frames only ever give ok or error items', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const valid = Buffer.from(sdk.encodeCommands(COMMANDS.map((c) => toSdk(c) as object)));
  let oks = 0;
  let errors = 0;
  for (let i = 0; i < 4000; i++) {
    let frame: Buffer;
    if (i % 2 === 0) {
      frame = Buffer.alloc(rand(64));
      for (let j = 0; j < frame.length; j++) frame[j] = rand(256);
    } else {
      frame = Buffer.from(valid.subarray(0, rand(valid.length + 1)));
      for (let k = rand(4); k >= 0 && frame.length; k--) frame[rand(frame.length)] = rand(256);
    }
    const out = decodeCommands(frame);
    assert.ok(Array.isArray(out));
    out.forEach((item, n) => {
      if (item.ok) {
        oks++;
        assert.equal(typeof item.value, 'object');
        const checked = checkCommand(item.value);
        assert.equal(typeof checked.ok, 'boolean');
      } else {
        errors++;
        assert.equal(typeof item.message, 'string');
        if (item.fatal) assert.equal(n, out.length - 1, 'a fatal item is the last');
      }
    });
    for (const d of decodeCommandFrame(frame)) assert.equal(typeof d.ok, 'boolean');
  }
  assert.ok(oks > 100 && errors > 100, `both kinds seen (${oks} ok, ${errors} errors)`);
});

test('emulation request: the SDK body decodes to node, session and the raw command bytes', () => {
  const data = sdk.encodeCommands([{ id: 2, subscribe: { channel: 'c' } }]);
  const body = sdk.encodeEmulationRequest({ node: 'n1', session: 's-1', data });
  const req = decodeEmulationRequest(body);
  assert.equal(req.node, 'n1');
  assert.equal(req.session, 's-1');
  assert.deepEqual(Buffer.from(req.data), Buffer.from(data));
  assert.deepEqual(okValues(req.data), [{ id: 2, subscribe: { channel: 'c' } }]);
  assert.deepEqual(decodeEmulationRequest(new Uint8Array(0)), { node: '', session: '', data: new Uint8Array(0) });
  assert.deepEqual(Buffer.from(encodeEmulationRequest({ node: 'n1', session: 's-1', data })), Buffer.from(body));
  assert.throws(() => decodeEmulationRequest(Buffer.from([0x0a, 0x05, 0x61])), ProtobufDecodeError);
  assert.throws(() => decodeEmulationRequest(Buffer.from([0x08, 0x01])), /node: wire type 0, expected 2/);
});
