/**
 * The xpush Proto in the Protobuf encoding of Centrifugal protocol v2: WebSocket subprotocol
 * `centrifuge-protobuf`, binary frames, each a run of varint-length-delimited Commands (client →
 * server) or Replies (server → client). Commands are encoded, and the rare replies decoded, with
 * XPUSH's own codec (src/protocol/protobuf/codec.ts), so the load generator and the server share
 * one schema.
 *
 * The per-delivery path decodes nothing: RawWs hands the binary payload over as a latin1 string
 * (one char per byte), a Reply whose first byte is the tag of field 4 (push) is scanned for the
 * benchmark message within its own byte range — Publication.data is the JSON text of the message —
 * and only what that scan does not recognise is decoded properly.
 */
import { decodeReplies, encodeCommands } from '../../src/protocol/protobuf/codec.ts';
import { scanMessages, scanOne } from './payload.ts';
import { FIRST_PUBLISH_ID, onMessage, subscribed, type Conn, type Proto } from './protocols.ts';

export const PROTOBUF_SUBPROTOCOL = 'centrifuge-protobuf';

/** Reply field 4 (push), wire type 2 (length-delimited): how a push's encoding begins. */
const PUSH_TAG = 0x22;
/** The server pings with an empty Reply (one byte: length 0); the answer is an empty Command (the same byte). */
const PONG = encodeCommands([{}]);

export const xpushProtobuf: Proto = {
  subprotocol: PROTOBUF_SUBPROTOCOL,
  open(c) {
    c.ws.sendBytes(encodeCommands([{ id: 1, connect: { token: c.token } }]));
  },
  frame: parseFrame,
  publish(c, channel, data, id) {
    // a Uint8Array payload is written as is: the bytes of the message's JSON text
    c.ws.sendBytes(encodeCommands([{ id, publish: { channel, data: Buffer.from(data) } }]));
  },
};

/** One binary frame (as latin1) of delimited Replies: pings, publications, replies, other pushes. */
export function parseFrame(c: Conn, s: string): void {
  const len = s.length;
  let pos = 0;
  while (pos < len) {
    const start = pos;
    let n = 0;
    let mul = 1;
    let b = 0x80;
    while (b >= 0x80) {
      if (pos >= len || mul > 2 ** 35) return c.sink.fail(c, `bad length prefix at byte ${start} of a ${len}-byte Protobuf frame`);
      b = s.charCodeAt(pos++);
      n += (b & 0x7f) * mul;
      mul *= 128;
    }
    const end = pos + n;
    if (end > len) return c.sink.fail(c, `Protobuf reply of ${n} bytes runs past the end of its ${len}-byte frame`);
    if (n === 0) c.ws.sendBytes(PONG);
    else if (s.charCodeAt(pos) !== PUSH_TAG || scanOne(s, pos, end, c, onMessage) === -1) slowReply(c, s, start, end);
    pos = end;
  }
}

/** A reply the fast path did not take: decoded with XPUSH's codec (s[start, end) is one delimited Reply). */
function slowReply(c: Conn, s: string, start: number, end: number): void {
  let r: Record<string, unknown>;
  try {
    [r] = decodeReplies(Buffer.from(s.slice(start, end), 'latin1'));
  } catch (e) {
    return c.sink.fail(c, `undecodable Protobuf reply: ${(e as Error).message}`);
  }
  if (r.error) return c.sink.fail(c, `reply ${JSON.stringify(r).slice(0, 300)}`);
  if (r.push) return otherPush(c, r.push as Record<string, unknown>);
  const id = r.id;
  if (typeof id !== 'number') return c.sink.fail(c, `unexpected Protobuf reply ${JSON.stringify(r).slice(0, 300)}`);
  if (id === 1) {
    c.pendingSubs = c.subs.length;
    if (c.subs.length === 0) return c.sink.ready(c);
    c.ws.sendBytes(encodeCommands(c.subs.map((channel, i) => ({ id: i + 2, subscribe: { channel } }))));
  } else if (id < FIRST_PUBLISH_ID) {
    subscribed(c);
  } else {
    // PublishResult has no fields in the Protobuf encoding (the stored offset is a JSON-only
    // extension): a Protobuf publisher's acks carry no offset to check
    c.sink.ack(c, id, -1);
  }
}

/** Unsubscribe and disconnect lose messages; a publication the scan missed is read from its decoded data. */
function otherPush(c: Conn, p: Record<string, unknown>): void {
  if (p.unsubscribe || p.disconnect) return c.sink.fail(c, `push ${JSON.stringify(p).slice(0, 300)}`);
  const data = (p.pub as { data?: unknown } | undefined)?.data;
  if (typeof data === 'string') scanMessages(data, 0, data.length, c, onMessage);
  else if (data !== null && typeof data === 'object') {
    const m = data as { xu?: unknown; xs?: unknown; xt?: unknown };
    if (typeof m.xu === 'number' && typeof m.xs === 'number' && typeof m.xt === 'number') onMessage(c, m.xu, m.xs, m.xt);
  }
}
