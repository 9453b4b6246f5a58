import type { ChannelRecord, Store } from '../store/store.ts';
import { Errors } from '../errors.ts';

/**
 * Channel type/owner/epoch, read on every subscribe and publish. They never change while a channel
 * exists (only `data` and `topOffset` do, and those are always read from the store), so a short
 * TTL only bounds how long a channel deleted on another node still looks alive here.
 */
export class ChannelCache {
  private readonly cache = new Map<string, { ch: ChannelRecord | undefined; at: number }>();
  constructor(private readonly store: Store, private readonly ttlMs = 5000) {}

  async get(app: string, channel: string): Promise<ChannelRecord | undefined> {
    const key = app + '\0' + channel;
    const hit = this.fresh(key);
    if (hit) return hit.ch;
    const ch = await this.store.channels.get(app, channel);
    this.cache.set(key, { ch, at: Date.now() });
    if (this.cache.size > 100_000) this.cache.delete(this.cache.keys().next().value as string);
    return ch;
  }

  /** The cached record without waiting, when the cache has a fresh one (see AppCache.peek). */
  peek(app: string, channel: string): ChannelRecord | undefined {
    return this.fresh(app + '\0' + channel)?.ch;
  }

  private fresh(key: string): { ch: ChannelRecord | undefined; at: number } | undefined {
    const hit = this.cache.get(key);
    return hit && Date.now() - hit.at < this.ttlMs ? hit : undefined;
  }

  async require(app: string, channel: string): Promise<ChannelRecord> {
    const ch = await this.get(app, channel);
    if (!ch) throw Errors.unknownChannel.with(`channel "${channel}" does not exist`);
    return ch;
  }

  forget(app: string, channel: string): void {
    this.cache.delete(app + '\0' + channel);
  }
}
