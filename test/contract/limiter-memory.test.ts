import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRateLimiter } from '../../src/limits/limiter-memory.ts';
import { rateLimiterContract } from './rate-limiter.contract.ts';

rateLimiterContract('memory', () => new MemoryRateLimiter());

describe('MemoryRateLimiter: bounded memory', () => {
  it('keeps at most maxKeys keys, dropping the least recently written', async (t) => {
    const l = new MemoryRateLimiter(3);
    t.after(() => l.close());
    const rule = { limit: 1, windowMs: 60_000 };
    for (const k of ['a', 'b', 'c']) await l.hit(k, rule);
    await l.hit('a', rule); // denied, but rewritten: now the most recent
    await l.hit('d', rule); // evicts b
    assert.equal((await l.peek('a', rule)).allowed, false);
    assert.equal((await l.peek('b', rule)).allowed, true, 'b was evicted');
    assert.equal((await l.peek('c', rule)).allowed, false);
    assert.equal((await l.peek('d', rule)).allowed, false);
  });
});
