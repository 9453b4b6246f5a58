/**
 * One outgoing unit (a reply, a push, or a channel's publications of one turn) in every wire form a
 * transport may ask for, each built once on first use and then shared: the fan-out hands the SAME
 * OutFrame to every subscriber, so a channel's turn is encoded once per encoding and framed once per
 * transport kind, however many connections receive it.
 *
 * The canonical form is JSON: either the reply object (per-connection replies) or the JSON text of
 * one or more newline-separated replies (fan-out, broker events).
 */
import { encodeReply, encodeReplyFromJson } from '../protocol/protobuf/codec.ts';

export type WireKind =
  /** WebSocket text frame of the JSON replies (server → client: unmasked, final). */
  | 'ws-text'
  /** WebSocket binary frame of the varint-length-delimited Protobuf replies. */
  | 'ws-binary'
  /** HTTP streaming, JSON: replies followed by `\n`. */
  | 'stream-json'
  /** HTTP streaming, Protobuf: varint-length-delimited replies. */
  | 'stream-pb'
  /** Server-sent events: one event whose `data:` lines are the JSON replies. */
  | 'sse'
  /** Unidirectional HTTP streaming: bare pushes (no `{"push": …}` envelope), one JSON line each. */
  | 'uni-stream'
  /** Unidirectional SSE: one event per bare push. */
  | 'uni-sse';

const NL = 0x0a;

export class OutFrame {
  /** The JSON text, when made from text or already serialised (the WebSocket frame is made from it directly). */
  private text: string | undefined;
  /** UTF-8 length of `text`, once measured. */
  private textBytes: number | undefined;
  private jsonBuf: Buffer | undefined;
  private pbBuf: Buffer | undefined;
  private wsText: Buffer | undefined;
  private wsBinary: Buffer | undefined;
  private streamJson: Buffer | undefined;
  private sseBuf: Buffer | undefined;
  private uniLines: string[] | undefined;

  private constructor(text: string | undefined, json: Buffer | undefined, private readonly obj: object | undefined) {
    this.text = text;
    this.jsonBuf = json;
  }

  /** JSON text of one or more replies separated by `\n` (no trailing newline). */
  static json(payload: Buffer | string): OutFrame {
    return typeof payload === 'string' ? new OutFrame(payload, undefined, undefined) : new OutFrame(undefined, payload, undefined);
  }

  /** One reply/push object; each encoding is made from the object itself when asked for. */
  static reply(obj: object): OutFrame {
    return new OutFrame(undefined, undefined, obj);
  }

  private get str(): string {
    this.text ??= this.jsonBuf ? this.jsonBuf.toString('utf8') : JSON.stringify(this.obj);
    return this.text;
  }

  get json(): Buffer {
    this.jsonBuf ??= Buffer.from(this.str);
    return this.jsonBuf;
  }

  /**
   * The bytes this frame adds to a connection's queue in `encoding` (the slow-consumer bound). JSON
   * made from text is measured, once per frame, not encoded into a buffer just to be measured.
   */
  size(encoding: 'json' | 'protobuf'): number {
    if (encoding === 'protobuf') return this.pb.length;
    if (this.jsonBuf) return this.jsonBuf.length;
    this.textBytes ??= Buffer.byteLength(this.str);
    return this.textBytes;
  }

  /** Concatenated varint-length-delimited Protobuf Replies. */
  get pb(): Buffer {
    this.pbBuf ??= toBuffer(this.obj ? encodeReply(this.obj as Record<string, unknown>) : encodeReplyFromJson(this.json));
    return this.pbBuf;
  }

  wire(kind: WireKind): Buffer {
    switch (kind) {
      case 'ws-text':
        // From the text when there is no buffer yet: one allocation and one encode, no copy.
        return (this.wsText ??= this.jsonBuf ? wsFrame(0x81, this.jsonBuf) : wsTextFrame(this.str, this.size('json')));
      case 'ws-binary':
        return (this.wsBinary ??= wsFrame(0x82, this.pb));
      case 'stream-json':
        return (this.streamJson ??= withNewline(this.json));
      case 'stream-pb':
        return this.pb;
      case 'sse':
        return (this.sseBuf ??= sseEvent(this.str));
      case 'uni-stream':
        return Buffer.from(this.unidirectional().map((l) => l + '\n').join(''));
      case 'uni-sse':
        return Buffer.from(this.unidirectional().map((l) => `data: ${l}\n\n`).join(''));
    }
  }

  /**
   * The unidirectional protocol sends Push messages themselves: `{"push":X}` becomes `X`; pings
   * (`{}`) stay. Our pushes are serialised with `push` as their only key, so the envelope is cut
   * off as text, without parsing the payload.
   */
  private unidirectional(): string[] {
    if (this.uniLines) return this.uniLines;
    const PREFIX = '{"push":';
    this.uniLines = this.str.split('\n').map((l) => (l.startsWith(PREFIX) ? l.slice(PREFIX.length, -1) : l));
    return this.uniLines;
  }
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** An unmasked, final WebSocket frame (server → client) around `payload`. */
function wsFrame(first: number, payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(headLength(payload.length) + payload.length);
  payload.copy(f, writeHead(f, first, payload.length));
  return f;
}

/** The text frame of `text` (`n` bytes in UTF-8), encoded straight into the frame. */
function wsTextFrame(text: string, n: number): Buffer {
  const f = Buffer.allocUnsafe(headLength(n) + n);
  f.write(text, writeHead(f, 0x81, n), 'utf8');
  return f;
}

function headLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** Writes the frame head for a payload of `n` bytes; returns where the payload starts. */
function writeHead(f: Buffer, first: number, n: number): number {
  f[0] = first;
  if (n < 126) {
    f[1] = n;
    return 2;
  }
  if (n < 65536) {
    f[1] = 126;
    f.writeUInt16BE(n, 2);
    return 4;
  }
  f[1] = 127;
  f.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
  f.writeUInt32BE(n >>> 0, 6);
  return 10;
}

function withNewline(json: Buffer): Buffer {
  const out = Buffer.allocUnsafe(json.length + 1);
  json.copy(out, 0);
  out[json.length] = NL;
  return out;
}

/** `data: <line>\n` per reply, then the blank line that ends the event (EventSource joins data lines with \n). */
function sseEvent(json: string): Buffer {
  const lines = json.split('\n');
  return Buffer.from(lines.map((l) => `data: ${l}\n`).join('') + '\n');
}

/** The server ping (and the client's pong): an empty reply, `{}` in JSON, a zero-length Reply in Protobuf. */
export const PING = OutFrame.reply({});

/** Joins the JSON payloads items[from..to) with `\n` (one frame for a channel's turn). */
export function joinJson(items: { payload: string }[], from: number, to: number): string {
  let out = items[from]!.payload;
  for (let i = from + 1; i < to; i++) out += '\n' + items[i]!.payload;
  return out;
}
