import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Occupancy } from '../../src/webhooks/occupancy.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Records the transitions one Occupancy reports. */
async function started(o: Occupancy, log: string[]): Promise<Occupancy> {
  await o.start({ occupied: (app, ch) => log.push(`+${app}/${ch}`), vacated: (app, ch) => log.push(`-${app}/${ch}`) });
  return o;
}

/**
 * The Occupancy contract (src/webhooks/occupancy.ts). `make(ns, node, ttlMs)` builds one node's
 * view; with `shared`, views of one namespace are nodes of one cluster.
 */
export function occupancyContract(name: string, make: (ns: string, node: string, ttlMs: number) => Occupancy, opts: { shared?: boolean } = {}): void {
  let seq = 0;
  describe(`occupancy contract: ${name}`, () => {
    it('occupied on the first subscriber, vacated after the last; apps and channels are separate', async (t) => {
      const log: string[] = [];
      const o = await started(make(`ns${++seq}`, 'n1', 3000), log);
      t.after(() => o.close());
      o.joined('a1', 'room');
      o.joined('a1', 'room');
      o.joined('a2', 'room');
      o.left('a1', 'room');
      o.left('a1', 'nothing'); // never joined: no transition
      await until('two occupied', () => log.length >= 2);
      o.left('a1', 'room');
      o.left('a2', 'room');
      await until('all vacated', () => log.length >= 4);
      await sleep(50);
      assert.deepEqual(log, ['+a1/room', '+a2/room', '-a1/room', '-a2/room']);
    });

    if (!opts.shared) return;

    it('two nodes: one occupied and one vacated for the channel, whichever node saw them', async (t) => {
      const ns = `ns${++seq}`;
      const log: string[] = [];
      const n1 = await started(make(ns, 'n1', 3000), log);
      const n2 = await started(make(ns, 'n2', 3000), log);
      t.after(async () => { await n1.close(); await n2.close(); });
      n1.joined('a', 'lobby');
      await until('occupied', () => log.length === 1);
      n2.joined('a', 'lobby');
      n1.left('a', 'lobby');
      await sleep(100);
      assert.deepEqual(log, ['+a/lobby'], 'still held by n2');
      n2.left('a', 'lobby');
      await until('vacated', () => log.length === 2);
      assert.deepEqual(log, ['+a/lobby', '-a/lobby']);
    });

    it('a node that stops beating is reaped by another: its channels are vacated once', async (t) => {
      const ns = `ns${++seq}`;
      const log: string[] = [];
      const n1 = await started(make(ns, 'n1', 300), log);
      const dying = await started(make(ns, 'n2', 300), []);
      t.after(() => n1.close());
      dying.joined('a', 'solo');
      dying.joined('a', 'shared');
      n1.joined('a', 'shared');
      await sleep(100);
      await dying.close(); // stops beating without leaving
      await until('solo vacated', () => log.includes('-a/solo'), 3000);
      await sleep(400);
      assert.deepEqual(log.filter((l) => l.startsWith('-')), ['-a/solo'], 'shared is still held by n1');
      n1.left('a', 'shared');
      await until('shared vacated', () => log.includes('-a/shared'));
    });

    it('a node restarting with the same id drops what its previous life held', async (t) => {
      const ns = `ns${++seq}`;
      const log: string[] = [];
      const before = await started(make(ns, 'n1', 3000), []);
      before.joined('a', 'old');
      await sleep(100);
      await before.close();
      const again = await started(make(ns, 'n1', 3000), log);
      t.after(() => again.close());
      assert.deepEqual(log, ['-a/old']);
      again.joined('a', 'old');
      await until('occupied again', () => log.length === 2);
      assert.deepEqual(log, ['-a/old', '+a/old']);
    });
  });
}
