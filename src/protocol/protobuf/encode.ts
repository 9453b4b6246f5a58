import protobuf from 'protobufjs';
import { Kind, planOf, typeOf, type FieldPlan, type MessagePlan } from './schema.ts';

/**
 * JSON-shaped object → Protobuf bytes, through protobufjs's generated encoders (fast: measured in
 * bench/micro/protobuf-libs.ts). The JSON shape is what the JSON encoding sends: snake_case keys,
 * `bytes` fields holding JS values. This module maps it to protobufjs message objects: a JS value in
 * a `bytes` field becomes the UTF-8 bytes of its JSON text (a Uint8Array is taken as is), proto3
 * defaults (0, '', false) and null are left out of every other field, undefined everywhere, and keys
 * client.proto does not declare are dropped.
 */

function bytesOf(v: unknown): Uint8Array {
  return v instanceof Uint8Array ? v : Buffer.from(JSON.stringify(v) ?? 'null');
}

function convert(f: FieldPlan, v: unknown): unknown {
  if (f.kind !== Kind.Message) return v;
  if (f.map) {
    if (f.valueKind !== Kind.Message) return v;
    const out: Record<string, unknown> = Object.create(null); // a key "__proto__" stays a key
    for (const k of Object.keys(v as object)) out[k] = toMessage(f.msg!, (v as Record<string, unknown>)[k]);
    return out;
  }
  if (f.repeated) return (v as unknown[]).map((x) => toMessage(f.msg!, x));
  return toMessage(f.msg!, v);
}

/** A protobufjs message object of `plan` from its JSON shape. */
export function toMessage(plan: MessagePlan, obj: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (obj === null || typeof obj !== 'object') return out;
  const fields = plan.byName;
  for (const k in obj) {
    const v = (obj as Record<string, unknown>)[k];
    const f = fields[k];
    if (f === undefined || v === undefined) continue;
    // A payload is any JSON value, null, false, 0 and "" included; other fields skip their defaults.
    if (f.kind === Kind.Bytes) out[k] = bytesOf(v);
    else if (v !== null && v !== false && v !== 0 && v !== '') out[k] = convert(f, v);
  }
  return out;
}

/** Encoder of one message type: JSON shape → varint-length-delimited bytes (or whole with `delimited = false`). */
export function encoderOf(name: string): (obj: unknown, delimited?: boolean) => Uint8Array {
  const type = typeOf(name);
  const plan = planOf(name);
  return (obj, delimited = true) => {
    const m = toMessage(plan, obj);
    return (delimited ? type.encodeDelimited(m) : type.encode(m)).finish();
  };
}

/** Several JSON-shaped messages → one buffer of varint-delimited messages. */
export function encodeAllDelimited(name: string, objs: readonly unknown[]): Uint8Array {
  const type = typeOf(name);
  const plan = planOf(name);
  const w = protobuf.Writer.create();
  for (const o of objs) type.encodeDelimited(toMessage(plan, o), w);
  return w.finish();
}
