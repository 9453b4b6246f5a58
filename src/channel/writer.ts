import type { Transport } from './transport.ts';
import type { OutFrame } from './out-frame.ts';

/**
 * Per-connection outbound queue, and the module's one flush per event-loop turn.
 *
 * The cost of real-time delivery is one write system call per connection, so each connection's
 * frames of one turn leave in ONE transport write. Memory is bounded per connection: the bytes
 * queued here plus those the transport still buffers may not pass `maxBufferedBytes`; a connection
 * that does (a slow or paused reader) is cut off as a slow consumer (3008) — it reconnects and
 * recovers from the store instead of growing our memory. Hubs register a `beforeFlush` step so a
 * channel's publications of one turn become a single frame before the writers run.
 */
const dirty: Writer[] = [];
const beforeFlush = new Set<() => void>();
let scheduled = false;

export function scheduleFlush(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/**
 * Flushes now what the next turn would (no-op when nothing is queued). The publisher calls it right
 * after a group commit so acks do not wait one event-loop turn (issue 13: acks leave when the commit is
 * done); the flush still scheduled then finds nothing left to do.
 */
export function flushNow(): void {
  if (scheduled) flushAll();
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

/** Told when its writer's queue passes the limit (the client closes as a slow consumer, 3008). */
export interface SlowConsumerHandler {
  onSlowConsumer(): void;
}

export class Writer {
  /** Nothing queued (idle), the turn's one frame, or its frames in order: most turns have one, and need no array. */
  private queue: OutFrame | OutFrame[] | undefined = undefined;
  /** Bytes of what is queued, in the transport's encoding. */
  private queuedBytes = 0;
  private queued = false;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly maxBufferedBytes: number,
    private readonly owner: SlowConsumerHandler,
  ) {}

  push(frame: OutFrame): void {
    if (this.closed) return;
    const q = this.queue;
    if (q === undefined) this.queue = frame;
    else if (Array.isArray(q)) q.push(frame);
    else this.queue = [q, frame];
    this.queuedBytes += frame.size(this.transport.encoding);
    if (this.queuedBytes + this.transport.bufferedAmount() > this.maxBufferedBytes) {
      // Checked on push, not only at flush: one turn of large replies must not pile up unbounded.
      this.closed = true;
      this.queue = undefined;
      this.queuedBytes = 0;
      queueMicrotask(() => this.owner.onSlowConsumer());
      return;
    }
    if (!this.queued) {
      this.queued = true;
      dirty.push(this);
      scheduleFlush();
    }
  }

  /** Writes what is queued now (also used right before a close so replies are not lost). */
  flush(): void {
    this.queued = false;
    const q = this.queue;
    if (this.closed || q === undefined) return;
    this.queue = undefined;
    this.queuedBytes = 0;
    if (!this.transport.writable()) return;
    this.transport.write(q);
  }

  close(): void {
    this.closed = true;
    this.queue = undefined;
    this.queuedBytes = 0;
  }
}
