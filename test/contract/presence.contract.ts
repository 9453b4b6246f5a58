import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PresenceEntry, PresenceInfo, PresenceManager } from '../../src/presence/presence.ts';

export interface PresenceContractOptions {
  /**
   * Managers of one namespace share state (a cluster) and entries expire without `touch`. The TTL
   * tests then make managers with a short `ttlMs`.
   */
  shared?: boolean;
}

let seq = 0;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function entry(user: string, client: string, device = 'web', info?: unknown): PresenceInfo {
  return info === undefined ? { user, client, device } : { user, client, device, info };
}

const byClient = (a: PresenceEntry, b: PresenceEntry): number => (a.client < b.client ? -1 : 1);

/**
 * The PresenceManager contract (src/presence/presence.ts), run against every implementation.
 * `make(ns, ttlMs?)` returns a fresh manager; managers of different namespaces never share entries.
 */
export function presenceContract(
  name: string,
  make: (ns: string, ttlMs?: number) => PresenceManager,
  opts: PresenceContractOptions = {},
): void {
  describe(`PresenceManager contract: ${name}`, () => {
    function open(t: { after(fn: () => Promise<void>): void }, ns = `ns${++seq}`, ttlMs?: number): PresenceManager {
      const p = make(ns, ttlMs);
      t.after(() => p.close());
      return p;
    }

    it('lists who is present, with several devices per user', async (t) => {
      const p = open(t);
      await p.add('app1', 'room', entry('alice', 'c1', 'web', { name: 'Alice' }));
      await p.add('app1', 'room', entry('alice', 'c2', 'phone'));
      await p.add('app1', 'room', entry('bob', 'c3'));
      assert.deepEqual(await p.get('app1', 'room'), {
        c1: entry('alice', 'c1', 'web', { name: 'Alice' }),
        c2: entry('alice', 'c2', 'phone'),
        c3: entry('bob', 'c3'),
      });
      assert.deepEqual(await p.stats('app1', 'room'), { numClients: 3, numUsers: 2 });
    });

    it('add is an upsert', async (t) => {
      const p = open(t);
      await p.add('app1', 'room', entry('alice', 'c1', 'web', { v: 1 }));
      await p.add('app1', 'room', entry('alice', 'c1', 'web', { v: 2 }));
      assert.deepEqual(await p.get('app1', 'room'), { c1: entry('alice', 'c1', 'web', { v: 2 }) });
      assert.deepEqual(await p.stats('app1', 'room'), { numClients: 1, numUsers: 1 });
    });

    it('remove takes one client out; removing a missing one is a no-op', async (t) => {
      const p = open(t);
      await p.add('app1', 'room', entry('alice', 'c1'));
      await p.add('app1', 'room', entry('alice', 'c2'));
      await p.remove('app1', 'room', 'c1');
      await p.remove('app1', 'room', 'nope');
      await p.remove('app1', 'empty-room', 'nope');
      assert.deepEqual(await p.get('app1', 'room'), { c2: entry('alice', 'c2') });
      await p.remove('app1', 'room', 'c2');
      assert.deepEqual(await p.get('app1', 'room'), {});
      assert.deepEqual(await p.stats('app1', 'room'), { numClients: 0, numUsers: 0 });
    });

    it('keeps apps and channels apart, whatever characters their names hold', async (t) => {
      const p = open(t);
      await p.add('a:b', 'c', entry('u1', 'x'));
      await p.add('a', 'b:c', entry('u2', 'x'));
      await p.add('a', 'b', entry('u3', 'x'));
      await p.add('ä p p', 'ch ✓/ü', entry('u4', 'x'));
      assert.deepEqual(await p.get('a:b', 'c'), { x: entry('u1', 'x') });
      assert.deepEqual(await p.get('a', 'b:c'), { x: entry('u2', 'x') });
      assert.deepEqual(await p.get('a', 'b'), { x: entry('u3', 'x') });
      assert.deepEqual(await p.get('ä p p', 'ch ✓/ü'), { x: entry('u4', 'x') });
      await p.remove('a', 'b:c', 'x');
      assert.deepEqual(await p.get('a:b', 'c'), { x: entry('u1', 'x') });
    });

    it('hands out copies: mutating what was passed or returned changes nothing stored', async (t) => {
      const p = open(t);
      const e = entry('alice', 'c1', 'web');
      await p.add('app1', 'room', e);
      e.user = 'mallory';
      const got = await p.get('app1', 'room');
      got.c1!.user = 'eve';
      assert.equal((await p.get('app1', 'room')).c1!.user, 'alice');
    });

    it('touch keeps entries; expired() is empty while everything is fresh', async (t) => {
      const p = open(t);
      await p.add('app1', 'room', entry('alice', 'c1'));
      await p.touch([{ appId: 'app1', channel: 'room', ...entry('alice', 'c1') }]);
      await p.touch([]);
      assert.deepEqual(await p.expired(), []);
      assert.deepEqual(await p.get('app1', 'room'), { c1: entry('alice', 'c1') });
    });

    it('count is the number of live entries', async (t) => {
      const p = open(t);
      assert.equal(await p.count('app1', 'room'), 0);
      await p.add('app1', 'room', entry('alice', 'c1'));
      await p.add('app1', 'room', entry('alice', 'c2'));
      await p.add('app1', 'other', entry('bob', 'c3'));
      assert.equal(await p.count('app1', 'room'), 2);
      await p.remove('app1', 'room', 'c1');
      assert.equal(await p.count('app1', 'room'), 1);
    });

    it('a lingering entry stays listed, then lapses and is handed out once by expired()', async (t) => {
      const p = open(t);
      await p.add('app1', 'room', entry('alice', 'c1', 'phone', { n: 1 }));
      await p.add('app1', 'room', entry('bob', 'c2'));
      await p.linger('app1', 'room', 'c1', 150);
      await p.linger('app1', 'room', 'missing', 150); // no-op
      assert.deepEqual(Object.keys(await p.get('app1', 'room')).sort(), ['c1', 'c2']);
      assert.equal(await p.count('app1', 'room'), 1, 'count leaves lingering entries out');
      assert.deepEqual(await p.expired(), []);
      await sleep(250);
      assert.deepEqual(await p.expired(), [{ appId: 'app1', channel: 'room', ...entry('alice', 'c1', 'phone', { n: 1 }) }]);
      assert.deepEqual(await p.expired(), []);
      assert.deepEqual(Object.keys(await p.get('app1', 'room')), ['c2']);
    });

    it('enter takes over a lingering entry of the same user and device (and only that)', async (t) => {
      const p = open(t);
      await p.add('app1', 'room', entry('alice', 'old', 'phone'));
      await p.add('app1', 'room', entry('alice', 'laptop1', 'laptop'));
      await p.linger('app1', 'room', 'old', 5000);
      await p.linger('app1', 'room', 'laptop1', 5000);
      assert.equal(await p.enter('app1', 'room', entry('bob', 'b1', 'phone')), undefined, 'another user');
      assert.equal(await p.enter('app1', 'room', entry('alice', 'tab', 'tablet')), undefined, 'another device');
      assert.equal(await p.enter('app1', 'other', entry('alice', 'x', 'phone')), undefined, 'another channel');
      assert.equal(await p.enter('app1', 'room', entry('alice', 'new', 'phone')), 'old');
      assert.deepEqual(Object.keys(await p.get('app1', 'room')).sort(), ['b1', 'laptop1', 'new', 'tab']);
      assert.equal(await p.enter('app1', 'room', entry('alice', 'newer', 'phone')), undefined, 'taken once');
      await p.remove('app1', 'room', 'laptop1');
      assert.deepEqual(await p.expired(), [], 'neither the taken nor the removed one lapses later');
    });

    it('enter does not take an entry that already lapsed: that one leaves, the newcomer joins', async (t) => {
      const p = open(t);
      await p.add('app1', 'room', entry('alice', 'old', 'phone'));
      await p.linger('app1', 'room', 'old', 100);
      await sleep(200);
      assert.equal(await p.enter('app1', 'room', entry('alice', 'new', 'phone')), undefined);
      assert.deepEqual((await p.expired()).map((e) => e.client), ['old']);
      assert.deepEqual(Object.keys(await p.get('app1', 'room')), ['new']);
    });

    it('an entry added again after linger is live again (no lapse)', async (t) => {
      const p = open(t);
      await p.add('app1', 'room', entry('alice', 'c1'));
      await p.linger('app1', 'room', 'c1', 100);
      await p.add('app1', 'room', entry('alice', 'c1'));
      await sleep(200);
      assert.deepEqual(await p.expired(), []);
      assert.equal(await p.enter('app1', 'room', entry('alice', 'c2')), undefined, 'a live entry is never taken over');
      assert.deepEqual(Object.keys(await p.get('app1', 'room')).sort(), ['c1', 'c2']);
    });

    it('keeps namespaces (prefixes) apart', async (t) => {
      const p = open(t);
      const q = open(t);
      await p.add('app1', 'room', entry('alice', 'c1'));
      assert.deepEqual(await q.get('app1', 'room'), {});
      assert.deepEqual(await q.stats('app1', 'room'), { numClients: 0, numUsers: 0 });
    });

    if (opts.shared) {
      it('shares entries between managers of one namespace (nodes of a cluster)', async (t) => {
        const ns = `ns${++seq}`;
        const a = open(t, ns);
        const b = open(t, ns);
        await a.add('app1', 'room', entry('alice', 'c1'));
        await b.add('app1', 'room', entry('bob', 'c2'));
        assert.deepEqual(Object.keys(await a.get('app1', 'room')).sort(), ['c1', 'c2']);
        await a.remove('app1', 'room', 'c2');
        assert.deepEqual(Object.keys(await b.get('app1', 'room')), ['c1']);
      });

      it('lets untouched entries lapse; each lapsed entry is claimed by exactly one node', async (t) => {
        const ns = `ns${++seq}`;
        // Long enough that adding the 61 entries stays inside it on a loaded machine.
        const ttl = 1200;
        const a = open(t, ns, ttl);
        const b = open(t, ns, ttl);
        const dead: PresenceEntry[] = [];
        for (let i = 0; i < 60; i++) {
          const e = { appId: 'app1', channel: `room${i % 3}`, ...entry(`u${i % 7}`, `dead${String(i).padStart(2, '0')}`) };
          dead.push(e);
          await (i % 2 ? a : b).add(e.appId, e.channel, e);
        }
        const alive = { appId: 'app1', channel: 'room0', ...entry('alice', 'alive') };
        await a.add(alive.appId, alive.channel, alive);
        assert.deepEqual(await a.expired(), [], 'nothing lapsed yet');

        // Node A keeps heartbeating its live entry; nobody touches the others.
        for (let i = 0; i < 4; i++) {
          await sleep(ttl / 2);
          await a.touch([alive]);
        }
        // Lapsed entries are no longer listed even before anyone claims them.
        assert.deepEqual(Object.keys(await b.get('app1', 'room0')), ['alive']);
        assert.deepEqual(await b.stats('app1', 'room1'), { numClients: 0, numUsers: 0 });

        // Both nodes claim at once: together they get every lapsed entry once, never the live one.
        const [fromA, fromB] = await Promise.all([a.expired(), b.expired()]);
        const claimed = [...fromA, ...fromB].sort(byClient);
        assert.deepEqual(claimed, [...dead].sort(byClient));
        assert.deepEqual(await a.expired(), []);
        assert.deepEqual(await b.expired(), []);
        assert.deepEqual(Object.keys(await b.get('app1', 'room0')), ['alive']);
      });

      it('a removed entry never comes back from expired()', async (t) => {
        const ns = `ns${++seq}`;
        const p = open(t, ns, 200);
        await p.add('app1', 'room', entry('alice', 'c1'));
        await p.remove('app1', 'room', 'c1');
        await sleep(300);
        assert.deepEqual(await p.expired(), []);
      });

      it('touch restores an entry the shared state lost (e.g. Redis restarted empty)', async (t) => {
        const ns = `ns${++seq}`;
        const p = open(t, ns, 200);
        await p.add('app1', 'room', entry('alice', 'c1'));
        await sleep(300);
        assert.equal((await p.expired()).length, 1);
        await p.touch([{ appId: 'app1', channel: 'room', ...entry('alice', 'c1') }]);
        assert.deepEqual(await p.get('app1', 'room'), { c1: entry('alice', 'c1') });
      });
    }
  });
}
