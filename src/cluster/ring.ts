/**
 * Consistent hashing with virtual nodes: maps a key (e.g. `app:channel`) to one node id so that
 * adding a node moves only about 1/(N+1) of the keys, all of them to the new node, and removing a
 * node moves only its own keys. Each node owns `vnodes` points on a 32-bit circle; a key belongs to
 * the first point at or after its hash. More vnodes = more even shares, bigger table (160 keeps
 * every node within about ±12% of its fair share for 2–10 nodes; see test/unit/ring.test.ts).
 *
 * Every node computing the ring from the same set of ids gets the same answer: ties between equal
 * points are broken by id, and hashing is over UTF-8 bytes.
 */
export class HashRing {
  private readonly ids = new Set<string>();
  private points = new Uint32Array(0);
  private owners: string[] = [];

  constructor(private readonly vnodes = 160) {
    if (!Number.isInteger(vnodes) || vnodes < 1) throw new RangeError(`vnodes must be a positive integer, got ${vnodes}`);
  }

  add(id: string): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.rebuild();
  }

  remove(id: string): void {
    if (this.ids.delete(id)) this.rebuild();
  }

  /** Replace the membership with `ids` (rebuilds once; a no-op when nothing changed). */
  set(ids: Iterable<string>): void {
    const next = new Set(ids);
    if (next.size === this.ids.size && [...next].every((id) => this.ids.has(id))) return;
    this.ids.clear();
    for (const id of next) this.ids.add(id);
    this.rebuild();
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** The node owning `key`, or undefined when the ring is empty. */
  get(key: string): string | undefined {
    const n = this.points.length;
    if (n === 0) return undefined;
    const h = hash32(key);
    // First point >= h (binary search); past the last point wraps to the first.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === n ? 0 : lo];
  }

  nodes(): string[] {
    return [...this.ids].sort();
  }

  get size(): number {
    return this.ids.size;
  }

  /** Points each node owns on the circle. */
  get vnodesPerNode(): number {
    return this.vnodes;
  }

  /**
   * The fraction of the hash circle each node owns (sums to 1): what share of channels and users it
   * should get. A point owns the arc from the previous point (exclusive) to itself; the first point
   * also owns the wrap-around arc past the last one.
   */
  shares(): Map<string, number> {
    const m = new Map<string, number>();
    const n = this.points.length;
    for (const id of this.ids) m.set(id, 0);
    if (n === 0) return m;
    const CIRCLE = 2 ** 32;
    for (let i = 0; i < n; i++) {
      const arc = i === 0 ? this.points[0]! + 1 + (CIRCLE - 1 - this.points[n - 1]!) : this.points[i]! - this.points[i - 1]!;
      const id = this.owners[i]!;
      m.set(id, m.get(id)! + arc / CIRCLE);
    }
    return m;
  }

  private rebuild(): void {
    const all: { p: number; id: string }[] = [];
    for (const id of this.ids) {
      for (let i = 0; i < this.vnodes; i++) all.push({ p: hash32(`${id}#${i}`), id });
    }
    all.sort((a, b) => a.p - b.p || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.points = Uint32Array.from(all, (x) => x.p);
    this.owners = all.map((x) => x.id);
  }
}

/**
 * FNV-1a over the UTF-8 bytes of `s`, then murmur3's finalizer: FNV alone clusters similar short keys
 * (`node#1`, `node#2`), the finalizer spreads them over the whole circle.
 */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193);
      continue;
    }
    // Encode to UTF-8 on the fly so equal strings hash equally in any language that hashes bytes.
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), 0x01000193);
    } else {
      if (c < 0x10000) {
        h = Math.imul(h ^ (0xe0 | (c >> 12)), 0x01000193);
      } else {
        h = Math.imul(h ^ (0xf0 | (c >> 18)), 0x01000193);
        h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), 0x01000193);
      }
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193);
    }
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
