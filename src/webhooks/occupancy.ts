/**
 * Channel occupancy, cluster-wide: whether a channel has at least one subscriber on any node, and
 * its transitions (`channel.occupied` / `channel.vacated` webhooks). The node holding a subscription
 * reports it (`joined` / `left`, called in the order the subscriptions began and ended).
 *
 * Contract:
 * - `occupied` fires when a channel's first subscriber anywhere appears, `vacated` when its last one
 *   anywhere is gone; each transition fires once in the whole cluster, on one node, and the two
 *   alternate per channel.
 * - Subscribers of a node that died stop counting once the implementation notices (TTL), and lead
 *   to `vacated` as if they had left.
 */
export interface OccupancyEvents {
  occupied(app: string, channel: string): void;
  vacated(app: string, channel: string): void;
}

export interface Occupancy {
  readonly kind: 'memory' | 'redis';
  start(events: OccupancyEvents): Promise<void>;
  joined(app: string, channel: string): void;
  left(app: string, channel: string): void;
  close(): Promise<void>;
}

/** Subscribers per (app, channel) on this node; `add` returns the count after the change. */
export class LocalCounts {
  private readonly counts = new Map<string, { app: string; channel: string; n: number }>();

  add(app: string, channel: string, delta: 1 | -1): number {
    const k = `${app.length}:${app}${channel}`;
    const e = this.counts.get(k) ?? { app, channel, n: 0 };
    if (e.n === 0 && delta < 0) return -1; // nothing to leave: no transition
    e.n += delta;
    if (e.n === 0) this.counts.delete(k);
    else this.counts.set(k, e);
    return e.n;
  }

  all(): { app: string; channel: string }[] {
    return [...this.counts.values()];
  }
}
