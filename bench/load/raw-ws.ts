/**
 * A minimal WebSocket client for the load generator. The `ws` client emits an event and copies a
 * buffer per frame, which costs more than the fastest server spends per delivery; this one parses
 * frames straight out of each TCP chunk and hands every text payload to one callback as a latin1
 * string (a binary payload too: latin1 maps each byte to one char, so a Protobuf client reads bytes
 * with charCodeAt). Client frames are masked with a zero key (allowed by RFC 6455, and it makes masking
 * a copy). Loopback benchmarking only: no TLS, no extensions, no accept-key check.
 */
import net, { type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RawHandlers {
  open(): void;
  /** A text (or binary) message, whole. */
  text(s: string): void;
  close(code: number, reason: string): void;
  error(e: Error): void;
  /** A TCP chunk of `bytes` arrived (before its frames are handed over): the moment to read the clock. */
  chunk(bytes: number): void;
}

export interface RawOptions {
  /** Offered in Sec-WebSocket-Protocol; the upgrade fails unless the server picks it. */
  subprotocol?: string;
}

export class RawWs {
  private sock: Socket | undefined;
  private rest: Buffer | undefined;
  private parts: Buffer[] = [];
  private closed = false;

  constructor(url: string, private readonly h: RawHandlers, opts: RawOptions = {}) {
    // the upgrade request written by hand: node:http's client costs more than the rest of a connect
    const u = new URL(url);
    const sock = net.connect(Number(u.port), u.hostname);
    sock.setNoDelay(true);
    sock.on('connect', () => {
      const key = randomBytes(16).toString('base64');
      const proto = opts.subprotocol ? `Sec-WebSocket-Protocol: ${opts.subprotocol}\r\n` : '';
      sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${proto}\r\n`);
    });
    let head: Buffer | undefined;
    const onHead = (d: Buffer): void => {
      head = head ? Buffer.concat([head, d]) : d;
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      sock.off('data', onHead);
      const status = head.toString('latin1', 0, head.indexOf('\r\n'));
      if (!/^HTTP\/1\.1 101/.test(status)) {
        sock.destroy();
        return this.h.error(new Error(`upgrade refused: ${status}`));
      }
      if (opts.subprotocol) {
        // a server that ignores the offer would read our binary frames as garbage: say so at once
        const chosen = /\r\nsec-websocket-protocol:\s*([^\r]*)/i.exec(head.toString('latin1', 0, end))?.[1]?.trim();
        if (chosen !== opts.subprotocol) {
          sock.destroy();
          return this.h.error(new Error(`subprotocol ${opts.subprotocol} not accepted (server chose ${chosen ?? 'none'})`));
        }
      }
      this.sock = sock;
      sock.on('data', (c: Buffer) => this.data(c));
      this.h.open();
      if (end + 4 < head.length) this.data(head.subarray(end + 4));
    };
    sock.on('data', onHead);
    sock.on('close', () => this.gone(1006, 'socket closed'));
    sock.on('error', (e) => this.h.error(e));
  }

  /** One text frame. */
  send(s: string): void {
    if (!this.sock || this.closed) return;
    const n = Buffer.byteLength(s);
    const f = this.header(0x81, n);
    f.write(s, f.length - n);
    this.sock.write(f);
  }

  /** One binary frame (opcode 2). */
  sendBytes(b: Uint8Array): void {
    if (!this.sock || this.closed) return;
    const f = this.header(0x82, b.length);
    f.set(b, f.length - b.length);
    this.sock.write(f);
  }

  /** A frame buffer of `n` payload bytes with its header written; the payload goes at the end. */
  private header(first: number, n: number): Buffer {
    const head = n < 126 ? 6 : n < 65536 ? 8 : 14;
    const f = Buffer.allocUnsafe(head + n);
    f[0] = first;
    if (n < 126) f[1] = 0x80 | n;
    else if (n < 65536) {
      f[1] = 0x80 | 126;
      f.writeUInt16BE(n, 2);
    } else {
      f[1] = 0x80 | 127;
      f.writeUInt32BE(0, 2);
      f.writeUInt32BE(n, 6);
    }
    f.writeUInt32BE(0, head - 4); // zero masking key: the masked payload is the payload
    return f;
  }

  terminate(): void {
    this.closed = true;
    this.sock?.destroy();
  }

  private gone(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.sock?.destroy();
    this.h.close(code, reason);
  }

  private data(chunk: Buffer): void {
    this.h.chunk(chunk.length);
    const b = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let i = 0;
    const len = b.length;
    while (i + 2 <= len) {
      const b0 = b[i];
      let n = b[i + 1] & 0x7f;
      let p = i + 2;
      if (n === 126) {
        if (p + 2 > len) break;
        n = b.readUInt16BE(p);
        p += 2;
      } else if (n === 127) {
        if (p + 8 > len) break;
        n = b.readUInt32BE(p) * 2 ** 32 + b.readUInt32BE(p + 4);
        p += 8;
      }
      if (p + n > len) break;
      this.frame(b0, b, p, p + n);
      i = p + n;
      if (this.closed) return;
    }
    if (i < len) this.rest = b.subarray(i);
  }

  private frame(b0: number, b: Buffer, from: number, to: number): void {
    const op = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if (op === 1 || op === 2 || op === 0) {
      if (fin && this.parts.length === 0) return this.h.text(b.toString('latin1', from, to));
      this.parts.push(Buffer.from(b.subarray(from, to)));
      if (fin) {
        const all = Buffer.concat(this.parts);
        this.parts = [];
        this.h.text(all.toString('latin1'));
      }
    } else if (op === 8) {
      const code = to - from >= 2 ? b.readUInt16BE(from) : 1005;
      this.gone(code, b.toString('latin1', from + 2, Math.max(from + 2, to)));
    } else if (op === 9) {
      // pong with the same payload (masked with a zero key)
      const n = to - from;
      const f = Buffer.alloc(6 + n);
      f[0] = 0x8a;
      f[1] = 0x80 | n;
      b.copy(f, 6, from, to);
      this.sock?.write(f);
    }
  }
}
