import type { ChannelRecord, Store } from '../store/store.ts';
import { Errors } from '../errors.ts';
import { SingleFlight } from '../single-flight.ts';

interface Entry {
  ch: ChannelRecord | undefined;
  at: number;
}

const MAX_ENTRIES = 100_000;

/**
 * Channel type/owner/epoch, read on every subscribe and publish. They never change while a channel
 * exists (only `data` and `topOffset` do, and those are always read from the store), so an entry
 * only goes wrong when its channel is created (a look-up before caches "none") or deleted. Both are
 * forgotten at once on every node (the control event `c`, see server.ts); a node whose broker link
 * dropped forgets everything when it is back (`clear`); the TTL is the last bound, for an event lost
 * some other way. It was 5 s: chat channels with a message every few seconds then missed here about
 * every third message (a store read, ~5 % of the server's busy time, bench/README.md). Keyed by app,
 * then channel: a look-up per message builds no key string.
 */
export class ChannelCache {
  private readonly apps = new Map<string, Map<string, Entry>>();
  private size = 0;
  /** Store reads in progress, by `app\0channel` (built on a miss only); a forget drops them (see SingleFlight). */
  private readonly reading = new SingleFlight<string, ChannelRecord | undefined>();
  constructor(private readonly store: Store, private readonly ttlMs = 60_000) {}

  get(app: string, channel: string): Promise<ChannelRecord | undefined> {
    const hit = this.fresh(app, channel);
    if (hit) return Promise.resolve(hit.ch);
    return this.reading.run(`${app}\0${channel}`, () => this.store.channels.get(app, channel), (ch) => this.put(app, channel, { ch, at: Date.now() }));
  }

  /** The cached record without waiting, when the cache has a fresh one (see AppCache.peek). */
  peek(app: string, channel: string): ChannelRecord | undefined {
    return this.fresh(app, channel)?.ch;
  }

  private fresh(app: string, channel: string): Entry | undefined {
    const hit = this.apps.get(app)?.get(channel);
    return hit && Date.now() - hit.at < this.ttlMs ? hit : undefined;
  }

  private put(app: string, channel: string, e: Entry): void {
    let m = this.apps.get(app);
    if (!m) this.apps.set(app, (m = new Map()));
    const before = m.size;
    m.set(channel, e);
    this.size += m.size - before;
    if (this.size > MAX_ENTRIES) this.evictOne();
  }

  /** Drops the oldest-inserted entry of the first app (bounded memory, not an LRU). */
  private evictOne(): void {
    for (const [app, m] of this.apps) {
      const first = m.keys().next();
      if (!first.done) this.drop(app, first.value);
      else this.apps.delete(app);
      return;
    }
  }

  async require(app: string, channel: string): Promise<ChannelRecord> {
    const ch = await this.get(app, channel);
    if (!ch) throw Errors.unknownChannel.with(`channel "${channel}" does not exist`);
    return ch;
  }

  forget(app: string, channel: string): void {
    this.reading.drop(`${app}\0${channel}`);
    this.drop(app, channel);
  }

  private drop(app: string, channel: string): void {
    const m = this.apps.get(app);
    if (!m?.delete(channel)) return;
    this.size--;
    if (m.size === 0) this.apps.delete(app);
  }

  /** Every channel of a deleted app. */
  forgetApp(app: string): void {
    this.reading.dropAll((key) => key.startsWith(`${app}\0`));
    const m = this.apps.get(app);
    if (!m) return;
    this.size -= m.size;
    this.apps.delete(app);
  }

  /** Everything: deletions may have been missed (the broker link was down). */
  clear(): void {
    this.reading.dropAll();
    this.apps.clear();
    this.size = 0;
  }
}
