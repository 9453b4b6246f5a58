/**
 * key → set of members, where a key with one member holds it bare, without a Set. Most users have
 * one connection, and a Set (object + hash table, ~110 bytes) per user per index is a visible share
 * of what an idle connection costs (docs/scaling.md). Members must not themselves be Sets.
 */
export class MultiMap<K, V> {
  private readonly m = new Map<K, V | Set<V>>();

  /** Adds `v` under `k`; true when `k` had no member before. */
  add(k: K, v: V): boolean {
    const cur = this.m.get(k);
    if (cur === undefined) {
      this.m.set(k, v);
      return true;
    }
    if (cur instanceof Set) cur.add(v);
    else if (cur !== v) this.m.set(k, new Set([cur, v]));
    return false;
  }

  /** Removes `v` from `k`; true when it was there and `k` has no member left. */
  delete(k: K, v: V): boolean {
    const cur = this.m.get(k);
    if (cur === undefined) return false;
    if (!(cur instanceof Set)) {
      if (cur !== v) return false;
      this.m.delete(k);
      return true;
    }
    if (!cur.delete(v)) return false;
    if (cur.size === 1) this.m.set(k, cur.values().next().value as V);
    return false;
  }

  has(k: K): boolean {
    return this.m.has(k);
  }

  hasMember(k: K, v: V): boolean {
    const cur = this.m.get(k);
    return cur instanceof Set ? cur.has(v) : cur !== undefined && cur === v;
  }

  /** How many members `k` has (0 when none). */
  count(k: K): number {
    const cur = this.m.get(k);
    return cur === undefined ? 0 : cur instanceof Set ? cur.size : 1;
  }

  /** A snapshot of `k`'s members (safe to iterate while members are removed). */
  members(k: K): V[] {
    const cur = this.m.get(k);
    return cur === undefined ? [] : cur instanceof Set ? [...cur] : [cur];
  }

  /** Calls `fn` for each member of `k`, without copying (members must not change meanwhile). */
  forEach(k: K, fn: (v: V) => void): void {
    const cur = this.m.get(k);
    if (cur === undefined) return;
    if (cur instanceof Set) for (const v of cur) fn(v);
    else fn(cur);
  }
}
