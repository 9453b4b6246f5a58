import { Centrifuge } from 'centrifuge/build/protobuf';

/**
 * The Protobuf codec of the official centrifuge-js SDK (its own generated client.proto code), as an
 * independent reference for our codec. The SDK does not export it: a client built from the
 * Protobuf entry point holds it in `_codec` (read once here, the one place that reaches inside;
 * the client is never connected).
 */
export interface SdkProtobufCodec {
  encodeCommands(commands: object[]): Uint8Array;
  decodeCommands(data: Uint8Array): Record<string, unknown>[];
  encodeReplies(replies: object[]): Uint8Array;
  decodeReplies(data: Uint8Array): Record<string, unknown>[];
  encodeEmulationRequest(req: { node: string; session: string; data: Uint8Array }): Uint8Array;
}

export function sdkProtobufCodec(): SdkProtobufCodec {
  const client = new Centrifuge('ws://127.0.0.1:1/connection/websocket', { websocket: class {} as never });
  const codec = (client as unknown as { _codec: SdkProtobufCodec & { name(): string } })._codec;
  if (codec.name() !== 'protobuf') throw new Error(`expected the SDK's protobuf codec, got ${codec.name()}`);
  return codec;
}

const BYTES_FIELDS = new Set(['data', 'conn_info', 'chan_info']);

/**
 * JSON shape → the SDK's message shape: a JS value in a `bytes` field (data, conn_info, chan_info)
 * becomes the UTF-8 bytes of its JSON text (a Uint8Array is taken as is). Everything else is the
 * same (the SDK's generated code keeps snake_case field names).
 */
export function toSdk(v: unknown, key = ''): unknown {
  if (BYTES_FIELDS.has(key)) return v instanceof Uint8Array ? v : Buffer.from(JSON.stringify(v));
  if (Array.isArray(v)) return v.map((x) => toSdk(x));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toSdk(x, k);
  return out;
}

/**
 * A message the SDK decoded → JSON shape: present fields only (protobufjs keeps scalar defaults on
 * the prototype, and gives every message its own empty list and map objects, which are dropped),
 * 64-bit Longs as numbers, `bytes` parsed as UTF-8 JSON text.
 */
export function fromSdk(v: unknown): unknown {
  if (v instanceof Uint8Array) return JSON.parse(Buffer.from(v).toString('utf8'));
  if (Array.isArray(v)) return v.map(fromSdk);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown> & { low?: number; high?: number; toNumber?: () => number };
  if (typeof o.toNumber === 'function' && typeof o.low === 'number') return o.toNumber();
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (Array.isArray(x) && x.length === 0) continue;
    if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype && Object.keys(x).length === 0) continue;
    out[k] = fromSdk(x);
  }
  return out;
}
