import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HashRing, hash32 } from '../../src/cluster/ring.ts';

const KEYS = Array.from({ length: 100_000 }, (_, i) => `app${i % 37}:channel-${i}`);
const nodeId = (i: number): string => `node-${i}`;

function assign(ring: HashRing): string[] {
  return KEYS.map((k) => ring.get(k)!);
}

function shares(owners: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of owners) m.set(o, (m.get(o) ?? 0) + 1);
  return m;
}

describe('HashRing', () => {
  it('is empty until a node is added, then maps every key to it', () => {
    const ring = new HashRing();
    assert.equal(ring.get('k'), undefined);
    ring.add('a');
    ring.add('a');
    assert.deepEqual(ring.nodes(), ['a']);
    assert.equal(ring.get('k'), 'a');
    ring.remove('a');
    ring.remove('missing');
    assert.equal(ring.get('k'), undefined);
  });

  it('refuses a nonsensical vnode count', () => {
    assert.throws(() => new HashRing(0), RangeError);
  });

  it('gives the same answer whatever the order nodes were added in', () => {
    const a = new HashRing();
    const b = new HashRing();
    for (let i = 0; i < 8; i++) a.add(nodeId(i));
    for (let i = 7; i >= 0; i--) b.add(nodeId(i));
    assert.deepEqual(assign(a), assign(b));
  });

  it('set() replaces the membership', () => {
    const ring = new HashRing();
    ring.set(['a', 'b', 'c']);
    ring.set(['b', 'c', 'd']);
    assert.deepEqual(ring.nodes(), ['b', 'c', 'd']);
    const direct = new HashRing();
    for (const id of ['d', 'c', 'b']) direct.add(id);
    assert.deepEqual(assign(ring), assign(direct));
  });

  it('balances keys across nodes within bounds', () => {
    for (const n of [2, 3, 5, 10]) {
      const ring = new HashRing();
      for (let i = 0; i < n; i++) ring.add(nodeId(i));
      const s = shares(assign(ring));
      assert.equal(s.size, n, `every node owns keys (n=${n})`);
      for (const [id, count] of s) {
        const ratio = count / (KEYS.length / n);
        // With 160 vnodes the spread is about ±10% (1 sd); ±25% leaves room without hiding a broken hash.
        assert.ok(ratio > 0.75 && ratio < 1.25, `n=${n}: ${id} holds ${ratio.toFixed(3)}× its fair share`);
      }
    }
  });

  it('shares() gives each node its fraction of the circle, matching the keys it is assigned', () => {
    assert.deepEqual(new HashRing().shares(), new Map());
    const one = new HashRing();
    one.add('solo');
    assert.deepEqual(one.shares(), new Map([['solo', 1]]));
    const ring = new HashRing();
    for (let i = 0; i < 4; i++) ring.add(nodeId(i));
    const arcs = ring.shares();
    const total = [...arcs.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 1e-9, `shares sum to 1, got ${total}`);
    const keys = shares(assign(ring));
    for (const [id, share] of arcs) {
      // 100k keys: the observed fraction is within ~1% of the arc length.
      assert.ok(Math.abs(keys.get(id)! / KEYS.length - share) < 0.01, `${id}: arc ${share.toFixed(4)} vs keys ${(keys.get(id)! / KEYS.length).toFixed(4)}`);
    }
  });

  it('going from N to N+1 nodes moves about 1/(N+1) of the keys, all to the new node', () => {
    const ring = new HashRing();
    ring.add(nodeId(0));
    let before = assign(ring);
    for (let n = 1; n < 10; n++) {
      const added = nodeId(n);
      ring.add(added);
      const after = assign(ring);
      let moved = 0;
      for (let i = 0; i < KEYS.length; i++) {
        if (before[i] === after[i]) continue;
        moved++;
        assert.equal(after[i], added, `a key moved between old nodes (${before[i]} → ${after[i]})`);
      }
      const fraction = moved / KEYS.length;
      const ideal = 1 / (n + 1);
      assert.ok(Math.abs(fraction - ideal) < ideal * 0.25, `${n}→${n + 1}: moved ${fraction.toFixed(3)}, ideal ${ideal.toFixed(3)}`);
      before = after;
    }
  });

  it('removing a node moves only its keys', () => {
    const ring = new HashRing();
    for (let i = 0; i < 6; i++) ring.add(nodeId(i));
    const before = assign(ring);
    ring.remove(nodeId(3));
    const after = assign(ring);
    for (let i = 0; i < KEYS.length; i++) {
      if (before[i] !== nodeId(3)) assert.equal(after[i], before[i]);
      else assert.notEqual(after[i], nodeId(3));
    }
  });

  it('hashes UTF-8 bytes (FNV-1a + murmur3 finalizer)', () => {
    // Astral characters count as one code point (4 UTF-8 bytes), not two surrogate halves.
    assert.notEqual(hash32('ü'), hash32('u'));
    assert.equal(hash32('😀'), hash32('\ud83d\ude00'));
    const distinct = new Set(KEYS.map(hash32));
    assert.ok(distinct.size > KEYS.length - 5, 'almost no collisions among 100k keys');
  });
});
