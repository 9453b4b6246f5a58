import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LimitRule, RateLimiter } from '../../src/limits/limiter.ts';

export interface LimiterContractOptions {
  /** Limiters made with the same namespace share counts (a cluster): tested when true. */
  shared?: boolean;
}

let seq = 0;

/** Polls until `fn` resolves truthy; the limiter's clock decides when windows and blocks end. */
async function eventually<T>(what: string, fn: () => Promise<T | false>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The RateLimiter contract (src/limits/limiter.ts), run against every implementation.
 * `make(ns)` returns a fresh limiter; limiters of different namespaces never share keys.
 */
export function rateLimiterContract(name: string, make: (ns: string) => RateLimiter, opts: LimiterContractOptions = {}): void {
  describe(`RateLimiter contract: ${name}`, () => {
    function open(t: { after(fn: () => Promise<void>): void }, ns = `ns${++seq}`): RateLimiter {
      const l = make(ns);
      t.after(() => l.close());
      return l;
    }

    it('allows `limit` units per window, then denies until the window ends (no backoff)', async (t) => {
      const l = open(t);
      const rule: LimitRule = { limit: 3, windowMs: 400 };
      const got = [];
      for (let i = 0; i < 4; i++) got.push(await l.hit('k', rule));
      assert.deepEqual(got.map((d) => [d.allowed, d.remaining]), [[true, 2], [true, 1], [true, 0], [false, 0]]);
      assert.ok(got[3]!.retryAfterMs > 0 && got[3]!.retryAfterMs <= 400, `retryAfterMs ${got[3]!.retryAfterMs}`);
      // Denied hits are not counted and do not extend anything: the window ends on time.
      const d = await eventually('the window to end', async () => {
        const r = await l.hit('k', rule);
        return r.allowed && r;
      });
      assert.equal(d.remaining, 2);
    });

    it('with backoff: blocks for baseMs, doubling per strike up to maxMs; the window restarts after a block', async (t) => {
      const l = open(t);
      const rule: LimitRule = { limit: 2, windowMs: 10_000, backoff: { baseMs: 150, maxMs: 400 } };
      const blocks: number[] = [];
      for (let strike = 0; strike < 4; strike++) {
        assert.equal((await l.hit('k', rule)).allowed, true, `strike ${strike}: first hit`);
        assert.equal((await l.hit('k', rule)).allowed, true, `strike ${strike}: second hit`);
        const denied = await l.hit('k', rule);
        assert.equal(denied.allowed, false);
        blocks.push(denied.retryAfterMs);
        // While blocked every hit is denied, with the time left, and nothing is counted.
        const again = await l.hit('k', rule);
        assert.equal(again.allowed, false);
        assert.ok(again.retryAfterMs <= denied.retryAfterMs);
        await eventually('the block to end', async () => (await l.peek('k', rule)).allowed);
      }
      assert.deepEqual(blocks, [150, 300, 400, 400]);
    });

    it('a key quiet for maxMs after its block forgets its strikes (backoff starts over)', async (t) => {
      const l = open(t);
      const rule: LimitRule = { limit: 1, windowMs: 50, backoff: { baseMs: 100, maxMs: 200 } };
      await l.hit('k', rule);
      assert.equal((await l.hit('k', rule)).retryAfterMs, 100);
      // Block (100) + strike memory (maxMs, 200) with no hit at all.
      await new Promise((r) => setTimeout(r, 450));
      assert.equal((await l.hit('k', rule)).allowed, true);
      assert.equal((await l.hit('k', rule)).retryAfterMs, 100, 'first strike again');
    });

    it('peek counts nothing', async (t) => {
      const l = open(t);
      const rule: LimitRule = { limit: 2, windowMs: 10_000, backoff: { baseMs: 1000, maxMs: 1000 } };
      for (let i = 0; i < 5; i++) assert.deepEqual(await l.peek('k', rule), { allowed: true, retryAfterMs: 0, remaining: 2 });
      await l.hit('k', rule);
      assert.deepEqual(await l.peek('k', rule), { allowed: true, retryAfterMs: 0, remaining: 1 });
      await l.hit('k', rule);
      const p = await l.peek('k', rule);
      assert.equal(p.allowed, false, 'the next hit would be denied');
      assert.equal((await l.hit('k', rule)).allowed, false);
      assert.equal((await l.peek('k', rule)).allowed, false);
    });

    it('a negative cost refunds (not below zero) but never lifts a block', async (t) => {
      const l = open(t);
      const rule: LimitRule = { limit: 2, windowMs: 10_000, backoff: { baseMs: 10_000, maxMs: 10_000 } };
      await l.hit('k', rule);
      await l.hit('k', rule);
      assert.equal((await l.hit('k', rule, -1)).remaining, 1);
      assert.equal((await l.hit('k', rule, -5)).remaining, 2, 'never below zero');
      assert.equal((await l.hit('k', rule)).allowed, true);
      assert.equal((await l.hit('k', rule)).allowed, true);
      assert.equal((await l.hit('k', rule)).allowed, false);
      assert.equal((await l.hit('k', rule, -2)).allowed, false, 'a refund does not lift a block');
      assert.equal((await l.hit('k', rule)).allowed, false);
    });

    it('cost counts several units at once', async (t) => {
      const l = open(t);
      const rule: LimitRule = { limit: 10, windowMs: 10_000 };
      assert.deepEqual(await l.hit('k', rule, 7), { allowed: true, retryAfterMs: 0, remaining: 3 });
      assert.equal((await l.hit('k', rule, 4)).allowed, false);
      assert.equal((await l.hit('k', rule, 3)).allowed, true, 'the denied 4 were not counted');
    });

    it('reset forgets the count, the block and the strikes', async (t) => {
      const l = open(t);
      const rule: LimitRule = { limit: 1, windowMs: 10_000, backoff: { baseMs: 60_000, maxMs: 600_000 } };
      await l.hit('k', rule);
      assert.equal((await l.hit('k', rule)).retryAfterMs, 60_000);
      await l.reset('k');
      assert.equal((await l.hit('k', rule)).allowed, true);
      assert.equal((await l.hit('k', rule)).retryAfterMs, 60_000, 'first strike again, not the second');
      await l.reset('never-seen');
    });

    it('keys are independent, and so are namespaces', async (t) => {
      const l = open(t);
      const other = open(t);
      const rule: LimitRule = { limit: 1, windowMs: 10_000 };
      assert.equal((await l.hit('a', rule)).allowed, true);
      assert.equal((await l.hit('a', rule)).allowed, false);
      assert.equal((await l.hit('b', rule)).allowed, true);
      assert.equal((await l.hit('a:b', rule)).allowed, true);
      assert.equal((await other.hit('a', rule)).allowed, true);
    });

    it('concurrent hits on one key allow exactly `limit`', async (t) => {
      const l = open(t);
      const rule: LimitRule = { limit: 10, windowMs: 10_000, backoff: { baseMs: 10_000, maxMs: 10_000 } };
      const all = await Promise.all(Array.from({ length: 50 }, () => l.hit('k', rule)));
      assert.equal(all.filter((d) => d.allowed).length, 10);
    });

    it('a rule or cost that cannot be honoured throws a TypeError at once', async (t) => {
      const l = open(t);
      await assert.rejects(l.hit('k', { limit: 0, windowMs: 10 }), TypeError);
      await assert.rejects(l.hit('k', { limit: 1, windowMs: -1 }), TypeError);
      await assert.rejects(l.hit('k', { limit: 1, windowMs: 10, backoff: { baseMs: 10, maxMs: 5 } }), TypeError);
      await assert.rejects(l.hit('k', { limit: 1, windowMs: 10 }, Number.NaN), TypeError);
    });

    if (opts.shared) {
      it('limiters of one namespace share the counts (the cluster has one budget)', async (t) => {
        const ns = `shared${++seq}`;
        const a = open(t, ns);
        const b = open(t, ns);
        const rule: LimitRule = { limit: 4, windowMs: 10_000, backoff: { baseMs: 10_000, maxMs: 10_000 } };
        const all = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).hit('k', rule)));
        assert.equal(all.filter((d) => d.allowed).length, 4);
        assert.equal((await b.peek('k', rule)).allowed, false);
        await a.reset('k');
        assert.equal((await b.peek('k', rule)).allowed, true);
      });
    }
  });
}
