import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RedisBroker } from '../../src/broker/broker-redis.ts';
import { XPushError } from '../../src/errors.ts';
import { brokerContract, Recorder } from './broker.contract.ts';
import { RedisProxy } from './redis-proxy.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// The broker only uses pub/sub (no keys), so a random prefix is all the isolation and cleanup needed.
const root = `xpush-test:${randomBytes(4).toString('hex')}:`;

brokerContract('redis', (ns) => new RedisBroker(REDIS_URL, `${root}${ns}:`), { shared: true });

function isUnavailable(err: unknown): boolean {
  return err instanceof XPushError && err.code === 503 && err.temporary;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RedisBroker: Redis outage', () => {
  it('rejects publish and subscribe with 503 quickly when nothing listens (no silent queueing)', async (t) => {
    const b = new RedisBroker('redis://127.0.0.1:1', `${root}down:`);
    t.after(() => b.close());
    const rec = new Recorder();
    const t0 = Date.now();
    await b.start(rec); // boots degraded rather than failing or hanging
    assert.deepEqual(rec.states, [true], 'reports the link as lost');
    await assert.rejects(b.publish('t', 'x'), isUnavailable);
    await assert.rejects(b.subscribe('t'), isUnavailable);
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  });

  it('fails fast while Redis is away, then recovers by itself and re-subscribes its topics', async (t) => {
    const proxy = new RedisProxy(REDIS_URL);
    await proxy.up();
    t.after(() => proxy.down());
    const prefix = `${root}outage:`;
    const b = new RedisBroker(proxy.url, prefix);
    const direct = new RedisBroker(REDIS_URL, prefix);
    t.after(() => b.close());
    t.after(() => direct.close());
    const rec = new Recorder();
    await b.start(rec);
    await direct.start(new Recorder());
    await b.subscribe('room');
    await direct.publish('room', 'before');
    await rec.waitFor(1);
    assert.deepEqual(rec.states, []);

    await proxy.down();
    await until(() => rec.states.length === 1, 2000, 'the lost-link report');
    assert.deepEqual(rec.states, [true]);
    const t0 = Date.now();
    await assert.rejects(b.publish('room', 'during'), isUnavailable);
    assert.ok(Date.now() - t0 < 500, 'publish did not wait for the link');

    await proxy.up();
    await until(() => rec.states.length === 2, 5000, 'the recovery report');
    assert.deepEqual(rec.states, [true, false]);
    // Recovery is reported only after the re-subscribe: events published now must arrive.
    await direct.publish('room', 'after');
    await b.publish('room', 'own-after');
    await rec.waitFor(3);
    assert.deepEqual(
      rec.events.map((e) => e.payload),
      ['before', 'after', 'own-after'],
    );
  });

  it('rejects a publish in flight when the link drops, instead of re-sending it later', async (t) => {
    const proxy = new RedisProxy(REDIS_URL);
    await proxy.up();
    t.after(() => proxy.down());
    const b = new RedisBroker(proxy.url, `${root}inflight:`);
    t.after(() => b.close());
    await b.start(new Recorder());
    const pending = Array.from({ length: 50 }, (_, i) => b.publish('t', String(i)).then(() => 'ok', (e: unknown) => e));
    await proxy.down();
    const results = await Promise.all(pending); // settles: nothing hangs waiting for a reconnect
    for (const r of results) assert.ok(r === 'ok' || isUnavailable(r), `unexpected ${String(r)}`);
    // The link was cut in the same tick as the writes, so no reply could arrive: all were refused.
    assert.ok(results.some(isUnavailable));
  });

  it('is a programming error to use it before start or after close', async () => {
    const b = new RedisBroker(REDIS_URL, `${root}misuse:`);
    await assert.rejects(b.publish('t', 'x'), /start must be called first/);
    await b.start(new Recorder());
    await b.close();
    await assert.rejects(b.publish('t', 'x'), /closed/);
  });
});
