import type { WebSocket } from 'ws';

/**
 * Per-connection outbound queue. Everything queued for a connection within one event-loop turn
 * leaves in ONE text frame (newline-separated, as the protocol allows), so a publication to 10,000
 * subscribers costs one write per connection per turn, not per message. A socket whose kernel +
 * ws buffer passes `maxBufferedBytes` is cut off as a slow consumer (3008): it reconnects and
 * recovers from the store instead of growing our memory.
 */
export type Frame = string | Buffer;

const NL = Buffer.from('\n');
const dirty: Writer[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  // Writers made dirty during this flush wait for the next turn (keeps one turn bounded).
  const list = dirty.splice(0, dirty.length);
  for (let i = 0; i < list.length; i++) list[i]!.flush();
}

export class Writer {
  private queue: Frame[] = [];
  private queued = false;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxPerFrame: number,
    private readonly maxBufferedBytes: number,
    private readonly onSlow: () => void,
  ) {}

  push(frame: Frame): void {
    if (this.closed) return;
    this.queue.push(frame);
    if (!this.queued) {
      this.queued = true;
      dirty.push(this);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushAll);
      }
    }
  }

  /** Writes what is queued now (also used right before a close so replies are not lost). */
  flush(): void {
    this.queued = false;
    if (this.closed || this.queue.length === 0) return;
    if (this.ws.readyState !== 1) {
      this.queue.length = 0;
      return;
    }
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.queue.length = 0;
      this.onSlow();
      return;
    }
    const q = this.queue;
    this.queue = [];
    for (let i = 0; i < q.length; i += this.maxPerFrame) {
      const n = Math.min(this.maxPerFrame, q.length - i);
      this.ws.send(n === 1 ? q[i]! : join(q, i, n), { binary: false });
    }
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }
}

function join(q: Frame[], from: number, n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = from; i < from + n; i++) {
    if (i > from) parts.push(NL);
    const f = q[i]!;
    parts.push(typeof f === 'string' ? Buffer.from(f) : f);
  }
  return Buffer.concat(parts);
}
