import type { PushStore } from '../store/push-store.ts';
import { SingleFlight } from '../single-flight.ts';

/**
 * Per node: does an app have any push target? Queueing notifications for a message costs store
 * queries (the channel's members, their targets); in an app where no device ever registered for
 * push they find nothing, and at ingest rates they cost more than the publish itself (bench: ingest
 * on PostgreSQL 4.5k acked/s with them, 16k without). So the answer is kept per app: "yes" for
 * `positiveMs`, "no" for `negativeMs`, and a registration on this node says "yes" at once. A device
 * registered on another node of a cluster is seen here within `negativeMs`.
 */
export class TargetIndex {
  private readonly known = new Map<string, { has: boolean; at: number }>();
  private readonly asking = new SingleFlight<string, boolean>();

  constructor(private readonly store: PushStore, private readonly negativeMs = 1000, private readonly positiveMs = 30_000) {}

  has(appId: string): Promise<boolean> | boolean {
    const k = this.known.get(appId);
    if (k && Date.now() - k.at < (k.has ? this.positiveMs : this.negativeMs)) return k.has;
    // One query per app at a time, however many messages arrive meanwhile.
    return this.asking.run(appId, () => this.store.hasTargets(appId), (has) => this.known.set(appId, { has, at: Date.now() }));
  }

  /** A target was registered on this node. */
  registered(appId: string): void {
    this.known.set(appId, { has: true, at: Date.now() });
  }
}
