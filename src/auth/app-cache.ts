import type { AppRecord, Store } from '../store/store.ts';

/**
 * Apps are read on every connect and API call; they change rarely. A short TTL bounds how long a
 * deleted app (or, in a cluster, one deleted on another node) stays usable. When an entry expires,
 * the callers that miss together share one store read: a group commit's after-hooks (the message
 * webhook check) ask for the app once per message of the batch, in one go.
 */
export class AppCache {
  private readonly cache = new Map<string, { app: AppRecord | undefined; at: number }>();
  private readonly reading = new Map<string, Promise<AppRecord | undefined>>();
  constructor(private readonly store: Store, private readonly ttlMs = 5000) {}

  get(appId: string): Promise<AppRecord | undefined> {
    const hit = this.peek(appId);
    if (hit) return Promise.resolve(hit.app);
    const shared = this.reading.get(appId);
    if (shared) return shared;
    // Kept only if still the read in progress when it answers: a forget meanwhile (the app changed)
    // drops it, and the answer, which may predate the change, goes to its callers only.
    const read: Promise<AppRecord | undefined> = this.store.apps.get(appId).then(
      (app) => {
        if (this.reading.get(appId) === read) {
          this.reading.delete(appId);
          this.cache.set(appId, { app, at: Date.now() });
          if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value as string);
        }
        return app;
      },
      (err: unknown) => {
        if (this.reading.get(appId) === read) this.reading.delete(appId);
        throw err;
      },
    );
    this.reading.set(appId, read);
    return read;
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
    this.reading.delete(appId);
  }
}
