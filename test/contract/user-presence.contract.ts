import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { UserPresence } from '../../src/presence/user-presence.ts';

export interface UserPresenceOptions {
  /** Managers of one namespace share state (nodes of a cluster), and connections lapse without `touch`. */
  shared?: boolean;
}

let seq = 0;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn()` is true; fails with `what` after `ms`. */
async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * The UserPresence contract (src/presence/user-presence.ts), run against every implementation.
 * `make(ns, delayMs, ttlMs)` returns a fresh manager; managers of different namespaces share nothing.
 */
export function userPresenceContract(name: string, make: (ns: string, delayMs: number, ttlMs: number) => UserPresence, opts: UserPresenceOptions = {}): void {
  describe(`UserPresence contract: ${name}`, () => {
    async function open(t: { after(fn: () => Promise<void>): void }, ns = `ns${++seq}`, delayMs = 150, ttlMs = 15_000): Promise<{ p: UserPresence; events: string[] }> {
      const p = make(ns, delayMs, ttlMs);
      const events: string[] = [];
      await p.start({ online: (a, u) => events.push(`on ${a}/${u}`), offline: (a, u) => events.push(`off ${a}/${u}`) });
      t.after(() => p.close());
      return { p, events };
    }

    it('online fires on the first connection, offline once the last one stayed gone for the delay; a quick return fires neither', async (t) => {
      const { p, events } = await open(t);
      assert.deepEqual(await p.connected('a', 'bob', 'c1'), { admitted: true });
      await p.connected('a', 'bob', 'c2');
      assert.deepEqual(events, ['on a/bob']);
      assert.deepEqual([...await p.online('a', ['bob', 'eve'])], ['bob']);
      await p.disconnected('a', 'bob', 'c1');
      await p.disconnected('a', 'bob', 'c2');
      assert.deepEqual([...await p.online('a', ['bob'])], [], 'no live connection right away');
      await sleep(50);
      await p.connected('a', 'bob', 'c3'); // back within the delay
      await sleep(250);
      await p.sweep();
      assert.deepEqual(events, ['on a/bob'], 'no offline/online pair for a quick return');
      await p.disconnected('a', 'bob', 'c3');
      await p.disconnected('a', 'bob', 'c3'); // idempotent
      await until('offline', () => events.length === 2);
      assert.deepEqual(events, ['on a/bob', 'off a/bob']);
      await sleep(250);
      await p.sweep();
      assert.deepEqual(events, ['on a/bob', 'off a/bob'], 'offline once');
      await p.connected('b', 'bob', 'c4');
      assert.deepEqual(events.at(-1), 'on b/bob', 'apps are separate');
      assert.deepEqual([...await p.online('a', ['bob'])], []);
      assert.deepEqual([...await p.online('b', [])], []);
    });

    it('connected is idempotent per client: no second online, not counted twice against a limit', async (t) => {
      const { p, events } = await open(t);
      await p.connected('a', 'u', 'c1', { perUser: 1 });
      assert.deepEqual(await p.connected('a', 'u', 'c1', { perUser: 1 }), { admitted: true });
      assert.deepEqual(events, ['on a/u']);
    });

    it('limits: a user past perUser and an app past perApp are refused and not registered; a closed connection frees its slot', async (t) => {
      const { p, events } = await open(t);
      const lim = { perUser: 2, perApp: 3 };
      assert.deepEqual(await p.connected('a', 'u1', 'c1', lim), { admitted: true });
      assert.deepEqual(await p.connected('a', 'u1', 'c2', lim), { admitted: true });
      assert.deepEqual(await p.connected('a', 'u1', 'c3', lim), { admitted: false, limit: 'user', max: 2 });
      assert.deepEqual(await p.connected('a', 'u2', 'c4', lim), { admitted: true });
      assert.deepEqual(await p.connected('a', 'u3', 'c5', lim), { admitted: false, limit: 'app', max: 3 });
      assert.deepEqual([...await p.online('a', ['u3'])], [], 'a refused connection is not registered');
      assert.ok(!events.includes('on a/u3'));
      assert.deepEqual(await p.connected('b', 'u3', 'c6', lim), { admitted: true }, 'another app has its own count');
      await p.disconnected('a', 'u1', 'c1');
      assert.deepEqual(await p.connected('a', 'u3', 'c5', lim), { admitted: true });
      assert.deepEqual(await p.connected('a', 'u1', 'c7', { perUser: 2 }), { admitted: true }, 'u1 has one connection left, so one more fits');
      assert.deepEqual(await p.connected('a', 'u9', 'c8'), { admitted: true }, 'no limits given: no cap');
    });

    it('concurrent connects of one user never pass the cap', async (t) => {
      const { p } = await open(t);
      const r = await Promise.all(Array.from({ length: 12 }, (_, i) => p.connected('a', 'u', `c${i}`, { perUser: 5 })));
      assert.equal(r.filter((x) => x.admitted).length, 5);
    });

    if (!opts.shared) return;

    it('two nodes: a user on both goes offline once, after both dropped; a quick reconnect on the other node produces nothing', async (t) => {
      const ns = `ns${++seq}`;
      const a = await open(t, ns);
      const b = await open(t, ns);
      const all = (): string[] => [...a.events, ...b.events];
      await a.p.connected('app', 'alice', 'ca');
      await b.p.connected('app', 'alice', 'cb');
      assert.deepEqual(all(), ['on app/alice'], 'online once in the cluster');
      assert.deepEqual([...await b.p.online('app', ['alice'])], ['alice']);
      await a.p.disconnected('app', 'alice', 'ca');
      await sleep(250);
      await Promise.all([a.p.sweep(), b.p.sweep()]);
      assert.deepEqual(all(), ['on app/alice'], 'still connected on B');
      await b.p.disconnected('app', 'alice', 'cb');
      await sleep(40);
      await a.p.connected('app', 'alice', 'ca2'); // back, on the other node, within the delay
      await sleep(250);
      await Promise.all([a.p.sweep(), b.p.sweep()]);
      assert.deepEqual(all(), ['on app/alice']);
      await a.p.disconnected('app', 'alice', 'ca2');
      await until('offline', () => all().length === 2);
      await sleep(200);
      await Promise.all([a.p.sweep(), b.p.sweep(), a.p.sweep(), b.p.sweep()]);
      assert.deepEqual(all(), ['on app/alice', 'off app/alice'], 'offline exactly once');
    });

    it("a dead node's connections lapse after the TTL and end in one offline; its user's slots free up", async (t) => {
      const ns = `ns${++seq}`;
      const ttl = 300;
      const dead = await open(t, ns, 100, ttl);
      const live = await open(t, ns, 100, ttl);
      const other = await open(t, ns, 100, ttl);
      await dead.p.connected('app', 'bob', 'gone1', { perUser: 2 });
      await dead.p.connected('app', 'bob', 'gone2', { perUser: 2 });
      await live.p.connected('app', 'carol', 'kept');
      assert.deepEqual(await live.p.connected('app', 'bob', 'x', { perUser: 2 }), { admitted: false, limit: 'user', max: 2 });
      // `dead` stops its heartbeats; `live` keeps touching its own connection and sweeping, as does `other`.
      const started = Date.now();
      const all = (): string[] => [...dead.events, ...live.events, ...other.events];
      await until('offline of bob', async () => {
        await live.p.touch([{ app: 'app', user: 'carol', client: 'kept' }]);
        await Promise.all([live.p.sweep(), other.p.sweep()]);
        return all().includes('off app/bob');
      }, 3000);
      assert.ok(Date.now() - started >= ttl, 'not before the TTL');
      assert.deepEqual(all().filter((e) => e.startsWith('off')), ['off app/bob'], 'once, and carol stays online');
      assert.deepEqual([...await other.p.online('app', ['bob', 'carol'])], ['carol']);
      assert.deepEqual(await live.p.connected('app', 'bob', 'new', { perUser: 2 }), { admitted: true });
    });

    it('touch keeps connections past the TTL', async (t) => {
      const ns = `ns${++seq}`;
      const { p, events } = await open(t, ns, 100, 200);
      await p.connected('app', 'u', 'c');
      for (let i = 0; i < 5; i++) {
        await sleep(100);
        await p.touch([{ app: 'app', user: 'u', client: 'c' }]);
        await p.sweep();
      }
      assert.deepEqual([...await p.online('app', ['u'])], ['u']);
      assert.deepEqual(events, ['on app/u']);
    });
  });
}
