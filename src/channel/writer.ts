import type { WebSocket } from 'ws';
import type { Socket } from 'node:net';

/**
 * Per-connection outbound queue, and the module's one flush per event-loop turn.
 *
 * The cost of real-time delivery is one write system call per connection, so: each message is
 * serialised once and framed once (`OutFrame`: a complete WebSocket text frame, shared by every
 * receiver); each connection's frames of one turn leave in ONE socket write; a socket whose buffer
 * passes `maxBufferedBytes` is cut off as a slow consumer (3008) — it reconnects and recovers from the
 * store instead of growing our memory. Hubs register a `beforeFlush` step so a channel's publications
 * of one turn become a single frame before the writers run.
 */
export class OutFrame {
  private framed: Buffer | undefined;
  constructor(readonly payload: Buffer) {}

  static of(text: string): OutFrame {
    return new OutFrame(Buffer.from(text));
  }

  /** The payload as an unmasked, final WebSocket text frame (server → client), built on first use. */
  get wire(): Buffer {
    if (this.framed) return this.framed;
    const n = this.payload.length;
    const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
    const f = Buffer.allocUnsafe(head + n);
    f[0] = 0x81; // FIN + text
    if (n < 126) f[1] = n;
    else if (n < 65536) {
      f[1] = 126;
      f.writeUInt16BE(n, 2);
    } else {
      f[1] = 127;
      f.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
      f.writeUInt32BE(n >>> 0, 6);
    }
    this.payload.copy(f, head);
    this.framed = f;
    return f;
  }
}

export type Frame = string | OutFrame;

const dirty: Writer[] = [];
const beforeFlush = new Set<() => void>();
let scheduled = false;

export function scheduleFlush(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/** Runs `fn` at the start of every flush turn (a hub turning a turn's publications into frames). */
export function onBeforeFlush(fn: () => void): () => void {
  beforeFlush.add(fn);
  return () => beforeFlush.delete(fn);
}

function flushAll(): void {
  scheduled = false;
  for (const fn of beforeFlush) fn();
  // Writers made dirty during this flush wait for the next turn (keeps one turn bounded).
  const list = dirty.splice(0, dirty.length);
  for (let i = 0; i < list.length; i++) list[i]!.flush();
}

export class Writer {
  private queue: OutFrame[] = [];
  private queued = false;
  private closed = false;
  /** Raw socket for pre-framed writes; undefined when ws must frame (permessage-deflate). */
  private readonly socket: Socket | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
    private readonly onSlow: () => void,
    rawWrites: boolean,
  ) {
    this.socket = rawWrites ? (ws as unknown as { _socket: Socket })._socket : undefined;
  }

  push(frame: Frame): void {
    if (this.closed) return;
    this.queue.push(typeof frame === 'string' ? OutFrame.of(frame) : frame);
    if (!this.queued) {
      this.queued = true;
      dirty.push(this);
      scheduleFlush();
    }
  }

  /** Writes what is queued now (also used right before a close so replies are not lost). */
  flush(): void {
    this.queued = false;
    if (this.closed || this.queue.length === 0) return;
    const q = this.queue;
    this.queue = [];
    if (this.ws.readyState !== 1) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) return this.onSlow();
    if (this.socket) {
      if (q.length === 1) this.socket.write(q[0]!.wire);
      else {
        const parts = new Array<Buffer>(q.length);
        for (let i = 0; i < q.length; i++) parts[i] = q[i]!.wire;
        this.socket.write(Buffer.concat(parts));
      }
    } else {
      for (const f of q) this.ws.send(f.payload, { binary: false });
    }
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }
}
