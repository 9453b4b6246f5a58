import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Broker, BrokerHandler } from '../../src/broker/broker.ts';

export interface BrokerContractOptions {
  /** Brokers made with the same namespace reach each other (a cluster). False for the in-process broker. */
  shared?: boolean;
}

/** A handler recording every event, with a way to wait for a count. */
export class Recorder implements BrokerHandler {
  readonly events: { topic: string; payload: string }[] = [];
  readonly states: boolean[] = [];
  private waiters: (() => void)[] = [];
  onEvent(topic: string, payload: string): void {
    this.events.push({ topic, payload });
    for (const w of this.waiters) w();
  }
  onConnectionState(lost: boolean): void {
    this.states.push(lost);
  }
  /** Resolves once at least `n` events arrived; rejects after `ms`. */
  async waitFor(n: number, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.events.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} events, got ${this.events.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        const self = this;
        function done(): void {
          clearTimeout(t);
          self.waiters = self.waiters.filter((w) => w !== done);
          resolve();
        }
        this.waiters.push(done);
      });
    }
  }
}

/** Lets a distributed broker deliver anything still in flight before asserting that nothing came. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));

let seq = 0;

/**
 * The Broker contract (src/broker/broker.ts), run against every implementation. `make(ns)` returns a
 * fresh broker; brokers of different namespaces must never see each other's events. Each test uses
 * its own namespace and closes what it made.
 */
export function brokerContract(name: string, make: (ns: string) => Broker, opts: BrokerContractOptions = {}): void {
  describe(`Broker contract: ${name}`, () => {
    async function open(t: { after(fn: () => Promise<void>): void }, ns: string): Promise<{ b: Broker; rec: Recorder }> {
      const b = make(ns);
      const rec = new Recorder();
      await b.start(rec);
      t.after(() => b.close());
      return { b, rec };
    }
    const fresh = (): string => `ns${++seq}`;

    it('delivers a publisher its own events on a subscribed topic, payload intact', async (t) => {
      const { b, rec } = await open(t, fresh());
      await b.subscribe('chat');
      const payload = JSON.stringify({ text: 'héllo 👋', n: 1, nested: { a: [1, 2] } });
      const big = 'x'.repeat(64 * 1024);
      await b.publish('chat', payload);
      await b.publish('chat', big);
      await rec.waitFor(2);
      assert.deepEqual(rec.events, [
        { topic: 'chat', payload },
        { topic: 'chat', payload: big },
      ]);
    });

    it('payloads that look like framing arrive intact; ping resolves while connected', async (t) => {
      const { b, rec } = await open(t, fresh());
      await b.ping();
      await b.subscribe('chat');
      const odd = ['@1.x|y', '@', '|.|', 'p|3|{"a":"@b.c|d"}'];
      for (const p of odd) await b.publish('chat', p);
      await rec.waitFor(odd.length);
      assert.deepEqual(rec.events.map((e) => e.payload), odd);
    });

    it('delivers only subscribed topics, and nothing after unsubscribe', async (t) => {
      const { b, rec } = await open(t, fresh());
      await b.publish('a', 'before-subscribe');
      await b.subscribe('a');
      await b.publish('b', 'other-topic');
      await b.publish('a', 'one');
      await rec.waitFor(1);
      await b.unsubscribe('a');
      await b.publish('a', 'after-unsubscribe');
      await b.unsubscribe('never-subscribed'); // a no-op, not an error
      await settle();
      assert.deepEqual(rec.events, [{ topic: 'a', payload: 'one' }]);
    });

    it('says a topic is listened to whenever an event on it could reach a subscriber', async (t) => {
      const ns = fresh();
      const { b, rec } = await open(t, ns);
      // `false` lets the publisher skip encoding: it must never be said of a topic someone receives.
      await b.subscribe('a');
      assert.equal(b.listened('a'), true, 'subscribed here');
      await b.unsubscribe('a');
      if (opts.shared) {
        const other = await open(t, ns);
        await other.b.subscribe('far');
        assert.equal(b.listened('far'), true, 'another node of the cluster may be subscribed');
      } else {
        assert.equal(b.listened('a'), false, 'in process, after unsubscribe: nobody can receive it');
        assert.equal(b.listened('never'), false);
      }
      assert.deepEqual(rec.events, []);
    });

    it('subscribing twice is the same as once (no duplicate delivery)', async (t) => {
      const { b, rec } = await open(t, fresh());
      await b.subscribe('a');
      await b.subscribe('a');
      await b.publish('a', '1');
      await rec.waitFor(1);
      await settle();
      assert.equal(rec.events.length, 1);
    });

    it('keeps publish order for one publisher on one topic, even without awaiting each publish', async (t) => {
      const { b, rec } = await open(t, fresh());
      await b.subscribe('seq');
      const n = 500;
      await Promise.all(Array.from({ length: n }, (_, i) => b.publish('seq', String(i))));
      await rec.waitFor(n);
      assert.deepEqual(
        rec.events.map((e) => Number(e.payload)),
        Array.from({ length: n }, (_, i) => i),
      );
    });

    it('isolates namespaces (prefixes): same topic, no cross-talk', async (t) => {
      const x = await open(t, fresh());
      const y = await open(t, fresh());
      await x.b.subscribe('t');
      await y.b.subscribe('t');
      await x.b.publish('t', 'from-x');
      await x.rec.waitFor(1);
      await settle();
      assert.deepEqual(x.rec.events, [{ topic: 't', payload: 'from-x' }]);
      assert.deepEqual(y.rec.events, []);
    });

    it('delivers nothing after close, and close is idempotent', async (t) => {
      const ns = fresh();
      const { b, rec } = await open(t, ns);
      const other = await open(t, ns);
      await b.subscribe('t');
      await b.close();
      await other.b.publish('t', 'after-close');
      await settle();
      assert.deepEqual(rec.events, []);
      await b.close();
    });

    if (opts.shared) {
      it('delivers across brokers of one namespace, in order per publisher', async (t) => {
        const ns = fresh();
        const a = await open(t, ns);
        const b = await open(t, ns);
        const c = await open(t, ns);
        await b.b.subscribe('room');
        await c.b.subscribe('room');
        await Promise.all(Array.from({ length: 200 }, (_, i) => a.b.publish('room', `a${i}`)));
        await b.rec.waitFor(200);
        await c.rec.waitFor(200);
        const expected = Array.from({ length: 200 }, (_, i) => ({ topic: 'room', payload: `a${i}` }));
        assert.deepEqual(b.rec.events, expected);
        assert.deepEqual(c.rec.events, expected);
        assert.deepEqual(a.rec.events, [], 'the publisher is not subscribed');
      });

      it('keeps each publisher ordered when several publish on one topic', async (t) => {
        const ns = fresh();
        const p1 = await open(t, ns);
        const p2 = await open(t, ns);
        const sub = await open(t, ns);
        await sub.b.subscribe('mix');
        const n = 200;
        await Promise.all([
          Promise.all(Array.from({ length: n }, (_, i) => p1.b.publish('mix', `1:${i}`))),
          Promise.all(Array.from({ length: n }, (_, i) => p2.b.publish('mix', `2:${i}`))),
        ]);
        await sub.rec.waitFor(2 * n);
        for (const who of ['1', '2']) {
          const seqs = sub.rec.events.filter((e) => e.payload.startsWith(`${who}:`)).map((e) => Number(e.payload.slice(2)));
          assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => i));
        }
      });
    }
  });
}
