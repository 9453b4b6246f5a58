import type { Logger } from 'pino';
import type { Broker } from '../broker/broker.ts';
import type { MessageRecord, NewMessage, Store } from '../store/store.ts';
import { channelTopic, encodeEvent } from '../protocol/events.ts';
import { pubPushJson } from './publication.ts';
import { Errors, XPushError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { BROKER_LOG, STORE_LOG } from '../infra-error.ts';

interface Pending {
  msg: NewMessage;
  resolve: (r: MessageRecord) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: every publish of one event-loop turn (and those that arrive while a commit is in
 * flight) go to the store in ONE transaction; each publisher is acknowledged only after that commit,
 * then the publications go to the broker in offset order. One batch in flight at a time keeps
 * offsets and broker order aligned on this node.
 */
export class Publisher {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  private closed = false;
  private idle: (() => void)[] = [];
  /** False while the broker link is down: publishes are refused up front (503) and store nothing. */
  brokerUp = true;

  constructor(
    private readonly store: Store,
    private readonly broker: Broker,
    private readonly log: Logger,
    private readonly maxBatch: number,
    private readonly metrics: Metrics,
    /**
     * Called once a batch's acks are settled, after the microtasks they start (the command handlers
     * queueing their replies) have run: the channel server flushes its writers there, so the acks and
     * the batch's publications leave in this event-loop turn instead of the next.
     */
    private readonly afterCommit: () => void = () => undefined,
  ) {}

  publish(msg: NewMessage): Promise<MessageRecord> {
    if (this.closed) return Promise.reject(Errors.unavailable.with('server is shutting down'));
    if (!this.brokerUp) return Promise.reject(Errors.unavailable.with('message broker unreachable; retry later'));
    return new Promise((resolve, reject) => {
      this.queue.push({ msg, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
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
      const batch = this.queue.splice(0, this.maxBatch);
      await this.commit(batch);
    }
    this.flushing = false;
    for (const f of this.idle.splice(0)) f();
  }

  private async commit(batch: Pending[]): Promise<void> {
    let records: MessageRecord[];
    const t0 = performance.now();
    try {
      records = await this.store.messages.append(batch.map((p) => p.msg));
    } catch (err) {
      if (batch.length > 1 && err instanceof XPushError && err.code === Errors.unknownChannel.code) {
        // One bad channel must not fail its neighbours: retry them one by one.
        for (const p of batch) await this.commit([p]);
        return;
      }
      if (!(err instanceof XPushError)) {
        this.log.error({ err, ...STORE_LOG(this.store.kind) }, 'store append failed');
        this.metrics.storeFailed();
      }
      for (const p of batch) p.reject(err instanceof XPushError ? err : Errors.internal);
      return;
    }
    // Stored: now deliver, in offset order, and acknowledge.
    const t1 = performance.now();
    this.metrics.storeCommitted((t1 - t0) / 1000, batch.length);
    const sends = records.map((r) => this.broker.publish(channelTopic(r.appId, r.channel), encodeEvent('p', r.offset, pubPushJson(r))));
    const results = await Promise.allSettled(sends);
    let published = 0;
    for (const r of results) if (r.status === 'fulfilled') published++;
    this.metrics.brokerPublished((performance.now() - t1) / 1000, published);
    for (let i = 0; i < batch.length; i++) {
      const res = results[i]!;
      if (res.status === 'fulfilled') batch[i]!.resolve(records[i]!);
      else {
        // Stored but not broadcast: subscribers still get it through gap repair / recovery; the sender
        // is told so it can retry with the same id (idempotent, no duplicate).
        this.log.warn({ err: res.reason, ...BROKER_LOG(this.broker.kind) }, 'broker publish failed after store');
        batch[i]!.reject(Errors.unavailable.with('message stored but broadcast failed; retry with the same id'));
      }
    }
    // nextTick callbacks queued from a microtask run after the whole microtask queue has drained.
    process.nextTick(this.afterCommit);
  }

  /** Resolves when nothing is queued or in flight (graceful shutdown). */
  async drain(): Promise<void> {
    this.closed = true;
    if (!this.flushing && !this.scheduled && this.queue.length === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }
}
