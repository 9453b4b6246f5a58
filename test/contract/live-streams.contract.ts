import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LiveStreams } from '../../src/streams/live-streams.ts';

/** The LiveStreams contract (src/streams/live-streams.ts), run against every implementation. */
export function liveStreamsContract(name: string, open: (ns: string) => LiveStreams, opts: { shared?: boolean } = {}): void {
  let n = 0;
  const make = (t: { after(fn: () => unknown): void }): LiveStreams => {
    const s = open(`t${++n}`);
    t.after(() => s.close());
    return s;
  };
  describe(`live streams contract: ${name}`, () => {
    test('allocate hands out consecutive offsets per channel with one epoch; channels and apps are separate', async (t) => {
      const s = make(t);
      const a = await s.allocate('a1', 'c', 3);
      const b = await s.allocate('a1', 'c', 2);
      assert.equal(a.first, 1);
      assert.equal(b.first, 4);
      assert.equal(a.epoch, b.epoch);
      assert.ok(a.epoch.length > 0);
      assert.equal((await s.allocate('a1', 'd', 1)).first, 1);
      assert.equal((await s.allocate('a2', 'c', 1)).first, 1);
      assert.deepEqual(await s.recent('a1', 'c'), { publications: [], top: 5, epoch: a.epoch });
    });

    test('keep holds the newest `limit` publications by offset, whatever order they arrive in', async (t) => {
      const s = make(t);
      await s.allocate('a1', 'c', 5);
      await s.keep('a1', 'c', [{ offset: 2, publication: 'p2' }, { offset: 1, publication: 'p1' }], 3);
      await s.keep('a1', 'c', [{ offset: 5, publication: 'p5' }, { offset: 3, publication: 'p3' }], 3);
      await s.keep('a1', 'c', [{ offset: 4, publication: 'p4' }], 3);
      assert.deepEqual((await s.recent('a1', 'c')).publications, ['p3', 'p4', 'p5']);
    });

    test('drop forgets the channel: offsets restart under a new epoch', async (t) => {
      const s = make(t);
      const a = await s.allocate('a1', 'c', 2);
      await s.keep('a1', 'c', [{ offset: 2, publication: 'x' }], 1);
      await s.drop('a1', 'c');
      const b = await s.allocate('a1', 'c', 1);
      assert.equal(b.first, 1);
      assert.notEqual(b.epoch, a.epoch);
      assert.deepEqual((await s.recent('a1', 'c')).publications, []);
    });

    if (opts.shared) {
      test('two instances (two nodes) share offsets, epoch and cache', async (t) => {
        const ns = `shared${++n}`;
        const x = open(ns);
        const y = open(ns);
        t.after(() => Promise.all([x.close(), y.close()]));
        const firsts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? x : y).allocate('a1', 'c', 1)));
        assert.deepEqual(firsts.map((f) => f.first).sort((p, q) => p - q), Array.from({ length: 20 }, (_, i) => i + 1));
        assert.equal(new Set(firsts.map((f) => f.epoch)).size, 1);
        await x.keep('a1', 'c', [{ offset: 20, publication: 'last' }], 1);
        assert.deepEqual((await y.recent('a1', 'c')).publications, ['last']);
      });
    }
  });
}
