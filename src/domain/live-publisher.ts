import type { Logger } from 'pino';
import type { Broker } from '../broker/broker.ts';
import type { LiveStreams } from '../streams/live-streams.ts';
import { recordOf, type MessageRecord, type NewMessage } from '../store/store.ts';
import { channelTopic, encodeEvent } from '../protocol/events.ts';
import { publicationOf, pubPushJson } from './publication.ts';
import { Errors, XPushError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { TurnBatcher } from './turn-batcher.ts';

interface Pending {
  msg: NewMessage;
  /** cache channels: publications kept for late joiners (0 for ephemeral). */
  cacheSize: number;
  resolve: (r: { record: MessageRecord; epoch: string }) => void;
  reject: (e: unknown) => void;
}

/**
 * Publishing on ephemeral and cache channels (nothing stored): the publishes of one event-loop turn
 * are grouped per channel, each group takes its offsets in ONE step (LiveStreams.allocate), cache
 * channels keep the newest, and everything goes to the broker in offset order; a publisher is
 * answered once the broker has the publication. One batch at a time keeps offsets and broker
 * order aligned on this node, as for stored channels (publisher.ts).
 */
export class LivePublisher extends TurnBatcher<Pending> {
  constructor(
    private readonly streams: LiveStreams,
    private readonly broker: Broker,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    /** Runs after each batch's acks were handed out (the channel server flushes its writers). */
    afterBatch: () => void = () => undefined,
  ) {
    super(Infinity, afterBatch);
  }

  publish(msg: NewMessage, cacheSize: number): Promise<{ record: MessageRecord; epoch: string }> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => this.enqueue({ msg, cacheSize, resolve, reject }));
  }

  protected async commit(batch: Pending[]): Promise<void> {
    const groups = new Map<string, Pending[]>();
    for (const p of batch) {
      const k = `${p.msg.appId}\0${p.msg.channel}`;
      const g = groups.get(k);
      if (g) g.push(p);
      else groups.set(k, [p]);
    }
    await Promise.all([...groups.values()].map((g) => this.commitGroup(g)));
  }

  private async commitGroup(group: Pending[]): Promise<void> {
    const { appId, channel } = group[0]!.msg;
    try {
      const { first, epoch } = await this.streams.allocate(appId, channel, group.length);
      const records: MessageRecord[] = group.map((p, i) => recordOf(p.msg, first + i));
      const cacheSize = group[0]!.cacheSize;
      if (cacheSize > 0) {
        await this.streams.keep(appId, channel, records.map((r) => ({ offset: r.offset, publication: JSON.stringify(publicationOf(r)) })), cacheSize);
      }
      const t0 = performance.now();
      const topic = channelTopic(appId, channel);
      // Nobody anywhere subscribed (in-process broker): nothing to encode or hand over.
      const listened = this.broker.listened(topic);
      const sent = await Promise.allSettled(records.map((r, i) => listened && this.broker.publish(topic, encodeEvent('p', r.offset, pubPushJson(r, group[i]!.msg.dataJson)))));
      this.metrics.brokerPublished((performance.now() - t0) / 1000, sent.filter((x) => x.status === 'fulfilled').length);
      for (let i = 0; i < group.length; i++) {
        if (sent[i]!.status === 'fulfilled') group[i]!.resolve({ record: records[i]!, epoch });
        else group[i]!.reject(Errors.unavailable.with('message broker unreachable; retry later'));
      }
    } catch (err) {
      if (!(err instanceof XPushError)) this.log.error({ err, channel }, 'live publish failed');
      for (const p of group) p.reject(err instanceof XPushError ? err : Errors.internal);
    }
  }
}
