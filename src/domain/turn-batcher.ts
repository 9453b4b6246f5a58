import { Errors, type XPushError } from '../errors.ts';

/**
 * The batching both publishers share (publisher.ts for stored channels, live-publisher.ts for
 * ephemeral and cache ones): publishes of one event-loop turn — and those arriving while a batch is
 * in flight — form a batch; one batch at a time, so offsets and broker order stay aligned on this
 * node. After each batch `afterBatch` runs once the microtasks its answers started have run (the
 * channel server flushes its writers there, so acks leave in this turn, not the next).
 */
export abstract class TurnBatcher<P> {
  private queue: P[] = [];
  private scheduled = false;
  private flushing = false;
  private closed = false;
  private idle: (() => void)[] = [];
  /** False while the broker link is down: publishes are refused up front (503) and store nothing. */
  brokerUp = true;

  constructor(private readonly maxBatch: number, private readonly afterBatch: () => void) {}

  /** Commits one batch, answering each of its publishes. */
  protected abstract commit(batch: P[]): Promise<void>;

  /** Why a publish is refused before it is queued, if it is. */
  protected refusal(): XPushError | undefined {
    if (this.closed) return Errors.unavailable.with('server is shutting down');
    if (!this.brokerUp) return Errors.unavailable.with('message broker unreachable; retry later');
    return undefined;
  }

  protected enqueue(p: P): void {
    this.queue.push(p);
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      await this.commit(this.queue.splice(0, this.maxBatch));
      // nextTick callbacks queued from a microtask run after the whole microtask queue has drained.
      process.nextTick(this.afterBatch);
    }
    this.flushing = false;
    for (const f of this.idle.splice(0)) f();
  }

  /** Resolves when nothing is queued or in flight (graceful shutdown). */
  async drain(): Promise<void> {
    this.closed = true;
    if (!this.flushing && !this.scheduled && this.queue.length === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }
}
