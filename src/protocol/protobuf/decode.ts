import { isUtf8 } from 'node:buffer';
import { Kind, type FieldPlan, type MessagePlan } from './schema.ts';

/**
 * A strict, table-driven Protobuf reader that builds JSON-shaped objects directly.
 *
 * Why not the library's generated decoder: protobufjs (and @bufbuild/protobuf) read a known field
 * with whatever wire type arrives — a length-delimited value sent where a varint is declared is
 * silently misread — and produce message objects that still need a walk to become the JSON shape
 * the commands check (snake_case keys, defaults absent, numbers, `bytes` parsed as JSON). Reading
 * the wire once against the schema table does both, rejects every malformed input, and measured
 * faster (bench/micro/protobuf-libs.ts). Pure and synchronous: no I/O.
 */

/** A malformed message: the peer does not speak Protobuf correctly (close the connection). */
export class ProtobufDecodeError extends Error {}

/** Deepest message nesting accepted. client.proto has no recursive message; this bounds hostile groups too. */
export const MAX_NESTING = 32;

// Reader state: decoding is synchronous and never re-entered, so one module-level cursor serves.
const EMPTY = Buffer.alloc(0);
let buf: Buffer = EMPTY;
let pos = 0;
/** The first `bytes` field of the current top-level message that was not UTF-8 JSON text. */
let jsonError: string | undefined;

function fail(message: string): never {
  throw new ProtobufDecodeError(message);
}

/** The low 32 bits of a varint (unsigned). Reads at most 10 bytes, never past `end`. */
function varint32(end: number): number {
  let x = 0;
  for (let i = 0, shift = 0; i < 10; i++, shift += 7) {
    if (pos >= end) fail('truncated varint');
    const b = buf[pos++]!;
    if (i < 5) x |= (b & 0x7f) << shift;
    if (b < 0x80) return x >>> 0;
  }
  return fail('varint longer than 10 bytes');
}

/** A 64-bit varint as a JS number (rounded as JSON.parse rounds the same decimal). */
function varint64(end: number, signed: boolean): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) fail('truncated varint');
    const b = buf[pos++]!;
    const bits = b & 0x7f;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= bits << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (7 * i - 32);
    if (b < 0x80) return (signed ? hi | 0 : hi >>> 0) * 4294967296 + (lo >>> 0);
  }
  return fail('varint longer than 10 bytes');
}

/** Reads a length prefix and returns where the value ends; the value must lie inside `end`. */
function lengthEnd(end: number): number {
  const len = varint32(end);
  if (len > end - pos) fail('length past the end of the message');
  return pos + len;
}

/**
 * The text of pos..stop if it is valid UTF-8, else undefined; advances pos. Most protocol text is
 * ASCII: a byte loop proves it without allocating a view, and ASCII decodes as latin1 (the fast path).
 */
function utf8(stop: number): string | undefined {
  const start = pos;
  pos = stop;
  let i = start;
  while (i < stop && buf[i]! < 0x80) i++;
  if (i === stop) return buf.toString('latin1', start, stop);
  return isUtf8(buf.subarray(start, stop)) ? buf.toString('utf8', start, stop) : undefined;
}

function text(stop: number, what: string): string {
  const s = utf8(stop);
  return s ?? fail(`${what} is not valid UTF-8`);
}

/**
 * XPUSH stores and fans out JSON payloads, so a `bytes` payload must be the UTF-8 text of a JSON
 * value: that is what lets JSON and Protobuf clients share a channel. Anything else is refused
 * for this command only (the caller answers 107 naming the field), never stored.
 */
function json(stop: number, path: string): unknown {
  const s = utf8(stop);
  if (s !== undefined) {
    try {
      return JSON.parse(s);
    } catch {
      /* fall through: not JSON */
    }
  }
  jsonError ??= `${path} must be UTF-8 JSON text`;
  return undefined;
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  // A map key "__proto__" stays an own property, as JSON.parse makes it.
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function skip(wire: number, end: number): void {
  switch (wire) {
    case 0: varint32(end); return;
    case 1: if (end - pos < 8) fail('truncated fixed64'); pos += 8; return;
    case 2: pos = lengthEnd(end); return;
    case 5: if (end - pos < 4) fail('truncated fixed32'); pos += 4; return;
    case 3: {
      // A (deprecated) group: skip to its end tag, nesting bounded, without recursion.
      for (let depth = 1; depth > 0;) {
        const w = varint32(end) & 7;
        if (w === 4) depth--;
        else if (w === 3) { if (++depth > MAX_NESTING) fail('groups nested too deep'); }
        else skip(w, end);
      }
      return;
    }
    case 4: return fail('unexpected end-group tag');
    default: return fail(`invalid wire type ${wire}`);
  }
}

/** Scalar value of a varint field, or undefined when it is the proto3 default (left out of the JSON shape). */
function scalar(kind: Kind, end: number): number | boolean | undefined {
  let v: number | boolean;
  switch (kind) {
    case Kind.Uint32: v = varint32(end); break;
    case Kind.Int32: v = varint32(end) | 0; break;
    case Kind.Uint64: v = varint64(end, false); break;
    case Kind.Int64: v = varint64(end, true); break;
    default: v = varint64(end, false) !== 0; break; // a bool is true when any of its 64 bits is set
  }
  return v === 0 || v === false ? undefined : v;
}

function readMap(f: FieldPlan, out: Record<string, unknown>, end: number, depth: number, path: string): void {
  const stop = lengthEnd(end);
  let key = '';
  let value: unknown = f.valueKind === Kind.Message ? {} : '';
  while (pos < stop) {
    const tag = varint32(stop);
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 1 || no === 2) {
      if (wire !== 2) fail(`${path}${f.name}: wire type ${wire} in a map entry, expected 2`);
      const vEnd = lengthEnd(stop);
      if (no === 1) key = text(vEnd, `${path}${f.name} key`);
      else if (f.valueKind === Kind.Message) value = readMessage(f.msg!, vEnd, depth + 1, `${path}${f.name}.`, {});
      else value = text(vEnd, `${path}${f.name} value`);
    } else {
      if (no === 0) fail('field number 0');
      skip(wire, stop);
    }
  }
  const map = (out[f.name] ??= {}) as Record<string, unknown>;
  setKey(map, key, value);
}

function readMessage(plan: MessagePlan, end: number, depth: number, path: string, out: Record<string, unknown>): Record<string, unknown> {
  if (depth > MAX_NESTING) fail('messages nested too deep');
  while (pos < end) {
    const tag = varint32(end);
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 0) fail('field number 0');
    const f = plan.byNumber[no];
    if (f === undefined) {
      skip(wire, end);
      continue;
    }
    if (wire !== f.wire) fail(`${path}${f.name}: wire type ${wire}, expected ${f.wire}`);
    if (f.wire === 0) {
      const v = scalar(f.kind, end);
      if (v === undefined) delete out[f.name];
      else out[f.name] = v;
    } else if (f.map) {
      readMap(f, out, end, depth, path);
    } else {
      const stop = lengthEnd(end);
      if (f.kind === Kind.String) {
        const s = text(stop, path + f.name);
        if (s === '') delete out[f.name];
        else out[f.name] = s;
      } else if (f.kind === Kind.Bytes) {
        if (stop === pos) delete out[f.name];
        else {
          const v = f.rawBytes ? buf.subarray(pos, (pos = stop)) : json(stop, path + f.name);
          if (v !== undefined) out[f.name] = v;
        }
      } else if (f.repeated) {
        const list = (out[f.name] ??= []) as unknown[];
        list.push(readMessage(f.msg!, stop, depth + 1, `${path}${f.name}.`, {}));
      } else {
        // A message field seen twice merges, as Protobuf requires.
        const into = (out[f.name] as Record<string, unknown> | undefined) ?? {};
        out[f.name] = readMessage(f.msg!, stop, depth + 1, `${path}${f.name}.`, into);
      }
    }
  }
  return out;
}

export type Delimited =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; id: number | undefined; message: string; fatal: boolean };

/**
 * Reads the varint-delimited messages of `frame`, in order. After a malformed message the rest of
 * the frame cannot be trusted: a fatal item ends the list. Never throws.
 */
export function readDelimited(frame: Uint8Array, plan: MessagePlan): Delimited[] {
  buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  pos = 0;
  const out: Delimited[] = [];
  try {
    while (pos < buf.length) {
      const stop = lengthEnd(buf.length);
      jsonError = undefined;
      const value = readMessage(plan, stop, 0, '', {});
      if (jsonError === undefined) out.push({ ok: true, value });
      else out.push({ ok: false, id: typeof value.id === 'number' ? value.id : undefined, message: jsonError, fatal: false });
    }
  } catch (e) {
    out.push({ ok: false, id: undefined, message: e instanceof ProtobufDecodeError ? e.message : 'malformed protobuf', fatal: true });
  } finally {
    buf = EMPTY; // drop the reference to the caller's frame
  }
  return out;
}

/** Reads one whole (not delimited) message; throws ProtobufDecodeError when malformed. */
export function readWhole(body: Uint8Array, plan: MessagePlan): Record<string, unknown> {
  buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  pos = 0;
  jsonError = undefined;
  try {
    const value = readMessage(plan, buf.length, 0, '', {});
    if (jsonError !== undefined) throw new ProtobufDecodeError(jsonError);
    return value;
  } catch (e) {
    if (e instanceof ProtobufDecodeError) throw e;
    throw new ProtobufDecodeError('malformed protobuf');
  } finally {
    buf = EMPTY;
  }
}
