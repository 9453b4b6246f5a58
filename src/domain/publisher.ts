import type { Logger } from 'pino';
import type { Broker } from '../broker/broker.ts';
import type { MessageRecord, NewMessage, Store } from '../store/store.ts';
import { channelTopic, encodeEvent } from '../protocol/events.ts';
import { pubPushJson } from './publication.ts';
import { Errors, XPushError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { BROKER_LOG, STORE_LOG } from '../infra-error.ts';
import { TurnBatcher } from './turn-batcher.ts';

interface Pending {
  msg: NewMessage;
  resolve: (r: MessageRecord) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit: every publish of one event-loop turn (and those that arrive while a commit is in
 * flight) go to the store in ONE transaction; each publisher is acknowledged only after that commit,
 * then the publications go to the broker in offset order (batching and ordering: TurnBatcher).
 */
export class Publisher extends TurnBatcher<Pending> {
  constructor(
    private readonly store: Store,
    private readonly broker: Broker,
    private readonly log: Logger,
    maxBatch: number,
    private readonly metrics: Metrics,
    /** Runs after each batch's acks were handed out (the channel server flushes its writers). */
    afterCommit: () => void = () => undefined,
  ) {
    super(maxBatch, afterCommit);
  }

  publish(msg: NewMessage): Promise<MessageRecord> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => this.enqueue({ msg, resolve, reject }));
  }

  protected async commit(batch: Pending[]): Promise<void> {
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
    const sends = records.map((r, i) => {
      const topic = channelTopic(r.appId, r.channel);
      // Nobody anywhere subscribed (in-process broker): no publication to encode or hand over.
      if (!this.broker.listened(topic)) return undefined;
      // A fresh record carries the very data object it was given, so the JSON made for it still holds.
      const m = batch[i]!.msg;
      return this.broker.publish(topic, encodeEvent('p', r.offset, pubPushJson(r, r.data === m.data ? m.dataJson : undefined)));
    });
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
  }
}
