import type { AppRecord, Store } from '../store/store.ts';
import { SingleFlight } from '../single-flight.ts';

/**
 * Apps are read on every connect and API call; they change rarely. A short TTL bounds how long a
 * deleted app (or, in a cluster, one deleted on another node) stays usable. When an entry expires,
 * the callers that miss together share one store read: a group commit's after-hooks (the message
 * webhook check) ask for the app once per message of the batch, in one go.
 */
export class AppCache {
  private readonly cache = new Map<string, { app: AppRecord | undefined; at: number }>();
  /** Reads of the store in progress; a forget drops its app's (see SingleFlight). */
  private readonly reading = new SingleFlight<string, AppRecord | undefined>();
  constructor(private readonly store: Store, private readonly ttlMs = 5000) {}

  get(appId: string): Promise<AppRecord | undefined> {
    const hit = this.peek(appId);
    if (hit) return Promise.resolve(hit.app);
    return this.reading.run(appId, () => this.store.apps.get(appId), (app) => {
      this.cache.set(appId, { app, at: Date.now() });
      if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value as string);
    });
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
    this.reading.drop(appId);
  }
}
