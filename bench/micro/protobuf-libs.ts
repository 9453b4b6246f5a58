/**
 * Micro-benchmark: which Protobuf library for the Centrifugal v2 Protobuf encoding (issue 9).
 *
 *   node --import tsx bench/micro/protobuf-libs.ts [--ms 1500]
 *
 * Two hot paths, each from and to the JSON shapes the server works with (that conversion is part
 * of the cost, whichever library does the wire work):
 * - encode: one publication push (Reply{push{channel, pub{data ~100 B JSON, info{user, client,
 *   conn_info}, offset, tags, time}}}), length-delimited; from the object and from its JSON text.
 * - decode: one frame of 16 varint-delimited Commands (mostly publishes) → JSON-shaped commands.
 * Contenders: protobufjs 7 (reflection from client.proto; its codegen'd encode/decode functions are
 * what `pbjs -t static` would emit), @bufbuild/protobuf 2 (runtime registry from the same schema:
 * protoc-gen-es v2 output is the same descriptors over the same reflective runtime), the codec's
 * strict table-driven decoder, and the JSON encoding as today's baseline.
 */
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { create, createFileRegistry, fromBinary, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { sizeDelimitedEncode, sizeDelimitedPeek } from '@bufbuild/protobuf/wire';
import { root, typeOf, planOf, Kind, type MessagePlan } from '../../src/protocol/protobuf/schema.ts';
import { decodeCommands, encodeCommands, encodeReply, encodeReplyFromJson } from '../../src/protocol/protobuf/codec.ts';
import { decodeFrame } from '../../src/protocol/codec.ts';

const msArg = process.argv.indexOf('--ms');
const RUN_MS = msArg > 0 ? Number(process.argv[msArg + 1]) : 1500;

// ---------- inputs ----------
const data = { type: 'chat', text: 'hello from the benchmark, a typical short chat message', n: 42, ok: true };
const pubPush = {
  push: {
    channel: 'chat:room-1',
    pub: {
      data,
      info: { user: 'user-42', client: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', conn_info: { device: 'dev-1' } },
      offset: 123456,
      tags: { event: 'message', id: '6fa459ea-ee8a-3ca4-894e-db77e160355e', ts: '1700000000000' },
      time: 1700000000000,
    },
  },
};
const pubText = JSON.stringify(pubPush);
const commands: Record<string, unknown>[] = [];
for (let i = 1; i <= 10; i++) commands.push({ id: i, publish: { channel: 'chat:room-1', data: { ...data, n: i } } });
commands.push({ id: 11, subscribe: { channel: 'chat:room-2', recover: true, offset: 99, epoch: 'abcd' } });
commands.push({ id: 12, rpc: { method: 'getUnread', data: { since: 5 } } });
commands.push({ id: 13, history: { channel: 'chat:room-1', limit: 10, since: { offset: 5, epoch: 'abcd' } } });
commands.push({ id: 14, presence: { channel: 'chat:room-1' } });
commands.push({ send: { data: { typing: true } } });
commands.push({});
const cmdFrame = encodeCommands(commands);
const cmdJson = commands.map((c) => JSON.stringify(c)).join('\n');

// ---------- protobufjs: generated decoder + walk to the JSON shape ----------
const PbCommand = typeOf('Command');
function pbjsToJson(plan: MessagePlan, m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(m)) {
    const f = plan.fields.find((x) => x.name === k)!;
    let v = m[k];
    if (f.map) {
      if (f.valueKind === Kind.Message) {
        const o: Record<string, unknown> = {};
        for (const key of Object.keys(v as object)) o[key] = pbjsToJson(f.msg!, (v as Record<string, Record<string, unknown>>)[key]!);
        v = o;
      }
    } else if (f.repeated) v = (v as Record<string, unknown>[]).map((x) => pbjsToJson(f.msg!, x));
    else if (f.kind === Kind.Message) v = pbjsToJson(f.msg!, v as Record<string, unknown>);
    else if (f.kind === Kind.Bytes) {
      if ((v as Uint8Array).length) out[k] = JSON.parse(Buffer.from(v as Uint8Array).toString('utf8')); // any JSON value, false included
      continue;
    } else if (typeof v === 'object' && v !== null) v = (v as unknown as { toNumber(): number }).toNumber();
    if (v === 0 || v === '' || v === false) continue;
    out[k] = v;
  }
  return out;
}
const cmdPlan = planOf('Command');
function pbjsDecode(frame: Uint8Array): Record<string, unknown>[] {
  const r = protobuf.Reader.create(frame);
  const out: Record<string, unknown>[] = [];
  while (r.pos < r.len) out.push(pbjsToJson(cmdPlan, PbCommand.decodeDelimited(r) as unknown as Record<string, unknown>));
  return out;
}

// ---------- @bufbuild/protobuf: registry from the same schema ----------
const fds = fromBinary(FileDescriptorSetSchema, (descriptor as any).FileDescriptorSet.encode((root as any).toDescriptor('proto3')).finish());
const file = fds.file[0]!;
const top = new Set(file.messageType.map((m) => m.name));
for (const m of file.messageType) {
  // protobufjs writes type names relative to the package; the registry wants them fully qualified.
  for (const f of m.field) if (f.typeName && !f.typeName.startsWith('.')) f.typeName = top.has(f.typeName) ? `.${file.package}.${f.typeName}` : `.${file.package}.${m.name}.${f.typeName}`;
  for (const n of m.nestedType) for (const f of n.field) if (f.typeName && !f.typeName.startsWith('.')) f.typeName = `.${file.package}.${f.typeName}`;
}
const registry = createFileRegistry(fds);
const BufReply = registry.getMessage(`${file.package}.Reply`)!;
const BufCommand = registry.getMessage(`${file.package}.Command`)!;

function bufInit(desc: DescMessage, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of desc.fields) {
    const v = obj[f.name];
    if (v === undefined || v === null || v === 0 || v === '' || v === false) continue;
    out[f.localName] = bufValue(f, v);
  }
  return out;
}
function bufValue(f: DescField, v: unknown): unknown {
  switch (f.fieldKind) {
    case 'message': return bufInit(f.message, v as Record<string, unknown>);
    case 'list': return (v as Record<string, unknown>[]).map((x) => bufInit(f.message!, x));
    case 'map': {
      if (f.mapKind !== 'message') return v;
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v as object)) o[k] = bufInit(f.message, (v as Record<string, Record<string, unknown>>)[k]!);
      return o;
    }
    case 'scalar':
      if (f.scalar === 12 /* bytes */) return Buffer.from(JSON.stringify(v));
      if (f.scalar === 4 /* uint64 */ || f.scalar === 3 /* int64 */) return BigInt(v as number);
      return v;
    default: return v;
  }
}
function bufEncode(obj: Record<string, unknown>): Uint8Array {
  return sizeDelimitedEncode(BufReply, create(BufReply, bufInit(BufReply, obj)));
}
function bufToJson(desc: DescMessage, m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of desc.fields) {
    let v = m[f.localName];
    if (v === undefined) continue;
    if (f.fieldKind === 'message') v = bufToJson(f.message, v as Record<string, unknown>);
    else if (f.fieldKind === 'list') { if (!(v as unknown[]).length) continue; v = (v as Record<string, unknown>[]).map((x) => bufToJson(f.message!, x)); }
    else if (f.fieldKind === 'map') {
      if (!Object.keys(v as object).length) continue;
      if (f.mapKind === 'message') {
        const o: Record<string, unknown> = {};
        for (const k of Object.keys(v as object)) o[k] = bufToJson(f.message, (v as Record<string, Record<string, unknown>>)[k]!);
        v = o;
      }
    } else if (f.fieldKind === 'scalar') {
      if (f.scalar === 12) {
        if ((v as Uint8Array).length) out[f.name] = JSON.parse(Buffer.from(v as Uint8Array).toString('utf8'));
        continue;
      }
      if (typeof v === 'bigint') v = Number(v);
      if (v === 0 || v === '' || v === false) continue;
    }
    out[f.name] = v;
  }
  return out;
}
function bufDecode(frame: Uint8Array): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let at = 0;
  while (at < frame.length) {
    const peek = sizeDelimitedPeek(frame.subarray(at));
    if (peek.eof) break;
    const { size, offset } = peek;
    const m = fromBinary(BufCommand, frame.subarray(at + offset, at + offset + size));
    out.push(bufToJson(BufCommand, m as unknown as Record<string, unknown>));
    at += offset + size;
  }
  return out;
}

// ---------- harness ----------
// Rounds alternate between contenders and each keeps its best round: on a shared machine the
// fastest round is the one least disturbed by other work.
const ROUNDS = 5;
function timeRound(fn: () => unknown, ms: number): number {
  let n = 0;
  const t0 = process.hrtime.bigint();
  const stop = t0 + BigInt(Math.round(ms * 1e6));
  let now = t0;
  while (now < stop) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    now = process.hrtime.bigint();
  }
  return Number(now - t0) / n; // ns per op
}
function measureAll(fns: (() => unknown)[]): number[] {
  for (const fn of fns) timeRound(fn, 200); // warm-up: let the JIT settle
  const best = fns.map(() => Infinity);
  for (let r = 0; r < ROUNDS; r++) fns.forEach((fn, i) => (best[i] = Math.min(best[i]!, timeRound(fn, RUN_MS / ROUNDS))));
  return best;
}

// Same results before timing: every contender must produce what the codec produces.
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const ours = decodeCommands(cmdFrame).map((c) => (c.ok ? c.value : c));
if (!same(pbjsDecode(cmdFrame), ours) || !same(bufDecode(cmdFrame), ours)) throw new Error('decoders disagree');
if (!Buffer.from(bufEncode(pubPush)).equals(Buffer.from(encodeReply(pubPush)))) throw new Error('encoders disagree');

type Row = { path: string; name: string; fn: () => unknown; bytes: number };
const rows: Row[] = [
  { path: 'encode pub push (object)', name: 'JSON.stringify (JSON baseline)', fn: () => JSON.stringify(pubPush), bytes: Buffer.byteLength(pubText) },
  { path: 'encode pub push (object)', name: 'protobufjs 7', fn: () => encodeReply(pubPush), bytes: encodeReply(pubPush).length },
  { path: 'encode pub push (object)', name: '@bufbuild/protobuf 2', fn: () => bufEncode(pubPush), bytes: bufEncode(pubPush).length },
  { path: 'encode pub push (JSON text)', name: 'protobufjs 7', fn: () => encodeReplyFromJson(pubText), bytes: encodeReplyFromJson(pubText).length },
  { path: 'encode pub push (JSON text)', name: '@bufbuild/protobuf 2', fn: () => bufEncode(JSON.parse(pubText)), bytes: bufEncode(pubPush).length },
  { path: 'decode 16 commands', name: 'JSON decodeFrame (JSON baseline)', fn: () => decodeFrame(cmdJson), bytes: Buffer.byteLength(cmdJson) },
  { path: 'decode 16 commands', name: 'protobufjs 7 + walk to JSON shape', fn: () => pbjsDecode(cmdFrame), bytes: cmdFrame.length },
  { path: 'decode 16 commands', name: '@bufbuild/protobuf 2 + walk', fn: () => bufDecode(cmdFrame), bytes: cmdFrame.length },
  { path: 'decode 16 commands', name: 'codec strict decoder (decode.ts)', fn: () => decodeCommands(cmdFrame), bytes: cmdFrame.length },
];
const ns = measureAll(rows.map((r) => r.fn));
console.log(`Node ${process.version}, best of ${ROUNDS} rounds of ${RUN_MS / ROUNDS} ms per row, load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}\n`);
console.log('| path | implementation | ns/op | ops/s | bytes |');
console.log('| --- | --- | ---: | ---: | ---: |');
rows.forEach((r, i) => console.log(`| ${r.path} | ${r.name} | ${ns[i]!.toFixed(0)} | ${Math.round(1e9 / ns[i]!).toLocaleString('en-US')} | ${r.bytes} |`));
