import { checkCommand, type Decoded } from '../codec.ts';
import { planOf } from './schema.ts';
import { readDelimited, readWhole, ProtobufDecodeError, type Delimited } from './decode.ts';
import { encodeAllDelimited, encoderOf } from './encode.ts';

/**
 * The Protobuf encoding of the Centrifugal protocol v2 (client.proto), as conversions to and from
 * the JSON shapes the JSON encoding uses, so every command and reply is handled once, in JSON shape.
 * Pure: no I/O. Frames are varint-length-delimited messages (WebSocket subprotocol
 * `centrifuge-protobuf`, binary frames; the Protobuf http_stream body and stream).
 *
 * `bytes` payloads carry JSON: XPUSH stores JSON values, so a Protobuf client's `data` must be the
 * UTF-8 text of a JSON value (refused per command otherwise, see decodeCommands), and every payload
 * the server sends is the UTF-8 JSON text of the value a JSON client sees.
 */

export { ProtobufDecodeError };

/** One command of a frame: its JSON shape (check it with `checkCommand`), or why it was refused. */
export type RawCommand = Delimited;

/** Largest frame decodeCommands reads; the channel server's `maxFrameBytes` default. */
export const DEFAULT_MAX_FRAME_BYTES = 65_536;

const commandPlan = planOf('Command');
const replyPlan = planOf('Reply');
const emulationPlan = planOf('EmulationRequest');
const encodeReplyMessage = encoderOf('Reply');
const encodeEmulation = encoderOf('EmulationRequest');

/**
 * Splits one binary frame (or http-stream body) of varint-length-delimited Commands. Each item is
 * the command's JSON shape — what JSON.parse gives for the same command in the JSON encoding:
 * snake_case keys, proto3 defaults absent, 64-bit integers as numbers, every `bytes` payload parsed
 * from its UTF-8 JSON text; an empty Command is `{}` (a pong) — or an error:
 * - `fatal: true` for anything that is not valid Protobuf of client.proto (truncated varint, length
 *   past the end, wrong wire type, invalid UTF-8 in a string, nesting too deep, a frame over
 *   `maxFrameBytes`): the frame's later commands are not read; close the connection (3501).
 * - `fatal: false` with the command's `id` when a `bytes` payload is not UTF-8 JSON text
 *   ('publish.data must be UTF-8 JSON text'): answer that command with 107 and go on.
 * Unknown fields are skipped. Never throws.
 */
export function decodeCommands(frame: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): RawCommand[] {
  if (frame.byteLength > maxFrameBytes) {
    return [{ ok: false, id: undefined, message: `frame of ${frame.byteLength} bytes exceeds the limit of ${maxFrameBytes}`, fatal: true }];
  }
  return readDelimited(frame, commandPlan);
}

/** A command of a Protobuf frame after the envelope check, or a fatal refusal of the frame. */
export type ProtobufDecoded = Decoded | { ok: false; id: undefined; message: string; fatal: true };

/**
 * decodeCommands + checkCommand: what the JSON path's decodeFrame gives, for a Protobuf frame.
 * An item with `fatal: true` is the last one: close the connection (3501 bad request).
 */
export function decodeCommandFrame(frame: Uint8Array, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): ProtobufDecoded[] {
  return decodeCommands(frame, maxFrameBytes).map((c): ProtobufDecoded => {
    if (c.ok) return checkCommand(c.value);
    if (c.fatal) return { ok: false, id: undefined, message: c.message, fatal: true };
    return { ok: false, id: c.id, message: c.message };
  });
}

/**
 * A JSON-shaped reply or push ({id, subscribe: {...}} / {id, error: {...}} / {push: {channel, pub}}
 * / {} for a ping) → one varint-length-delimited Reply. A JS value in a `bytes` field becomes the
 * UTF-8 bytes of its JSON text (a Uint8Array is written as is); keys client.proto lacks are dropped.
 */
export function encodeReply(reply: Record<string, unknown>): Uint8Array {
  return encodeReplyMessage(reply);
}

/**
 * Same, from the JSON text of one reply/push, or of several joined by '\n' (a JSON frame as the
 * fan-out builds it): the delimited Replies, concatenated in order.
 */
export function encodeReplyFromJson(text: string | Uint8Array): Uint8Array {
  const s = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
  if (s.indexOf('\n') === -1) return encodeReplyMessage(JSON.parse(s));
  return encodeAllDelimited('Reply', s.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)));
}

/** Several JSON-shaped replies → one frame. */
export function encodeReplies(replies: readonly Record<string, unknown>[]): Uint8Array {
  return encodeAllDelimited('Reply', replies);
}

/** The server's ping (and a client's pong): an empty Reply, length-delimited — the single byte 0. */
export const PING_FRAME: Uint8Array = encodeReply({});

/**
 * The body of a Protobuf `POST /emulation` → its fields; `data` is the raw varint-delimited
 * Commands (give it to decodeCommands). Throws ProtobufDecodeError when malformed.
 */
export function decodeEmulationRequest(body: Uint8Array): { node: string; session: string; data: Uint8Array } {
  const v = readWhole(body, emulationPlan);
  return {
    node: typeof v.node === 'string' ? v.node : '',
    session: typeof v.session === 'string' ? v.session : '',
    data: v.data instanceof Uint8Array ? v.data : new Uint8Array(0),
  };
}

// ---- the client's side, for tests and tools ----

/** JSON-shaped commands → one frame of varint-delimited Commands (what a Protobuf client sends). */
export function encodeCommands(commands: readonly Record<string, unknown>[]): Uint8Array {
  return encodeAllDelimited('Command', commands);
}

/** One frame of Replies → their JSON shapes. Throws ProtobufDecodeError when malformed. */
export function decodeReplies(frame: Uint8Array): Record<string, unknown>[] {
  return readDelimited(frame, replyPlan).map((r) => {
    if (!r.ok) throw new ProtobufDecodeError(r.message);
    return r.value;
  });
}

/** An emulation request body (what the Protobuf http_stream client POSTs to /emulation). */
export function encodeEmulationRequest(req: { node: string; session: string; data: Uint8Array }): Uint8Array {
  return encodeEmulation(req, false);
}
