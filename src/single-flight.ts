/**
 * One read per key at a time: callers asking while a read of that key is in progress get its
 * promise instead of starting another (caches whose entry expired under load: every message of a
 * batch would otherwise read the store). `keep` runs with the answer only if the read was not
 * dropped meanwhile: a dropped read (the thing changed) still answers the callers that joined it,
 * but its answer, which may predate the change, is not kept, and later callers start a new read.
 */
export class SingleFlight<K, V> {
  private readonly flying = new Map<K, Promise<V>>();

  run(key: K, read: () => Promise<V>, keep: (value: V) => void): Promise<V> {
    const shared = this.flying.get(key);
    if (shared) return shared;
    const p: Promise<V> = read().then(
      (value) => {
        if (this.flying.get(key) === p) {
          this.flying.delete(key);
          keep(value);
        }
        return value;
      },
      (err: unknown) => {
        if (this.flying.get(key) === p) this.flying.delete(key);
        throw err;
      },
    );
    this.flying.set(key, p);
    return p;
  }

  /** The read in progress for `key`, if any, is no longer shared or kept. */
  drop(key: K): void {
    this.flying.delete(key);
  }

  /** `drop` for every key in progress, or those `match` picks. */
  dropAll(match: (key: K) => boolean = () => true): void {
    for (const key of this.flying.keys()) if (match(key)) this.flying.delete(key);
  }
}
