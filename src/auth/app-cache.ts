import type { AppRecord, Store } from '../store/store.ts';

/**
 * Apps are read on every connect and API call; they change rarely. A short TTL bounds how long a
 * deleted app (or, in a cluster, one deleted on another node) stays usable.
 */
export class AppCache {
  private readonly cache = new Map<string, { app: AppRecord | undefined; at: number }>();
  constructor(private readonly store: Store, private readonly ttlMs = 5000) {}

  async get(appId: string): Promise<AppRecord | undefined> {
    const hit = this.peek(appId);
    if (hit) return hit.app;
    const app = await this.store.apps.get(appId);
    this.cache.set(appId, { app, at: Date.now() });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value as string);
    return app;
  }

  /**
   * The cached record without waiting: `{ app }` when the cache has a fresh answer (app undefined =
   * no such app), undefined when only `get` can tell. The per-message paths use it to skip an await
   * (and the promises it allocates) for what is almost always cached.
   */
  peek(appId: string): { app: AppRecord | undefined } | undefined {
    const hit = this.cache.get(appId);
    return hit && Date.now() - hit.at < this.ttlMs ? hit : undefined;
  }

  forget(appId: string): void {
    this.cache.delete(appId);
  }
}
