import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { channel, fresh, msg, type Open } from './store-fixtures.ts';

/** Channel kinds, retention and the trim (MessageStore.trim, ChannelStore.retained). */
export function retentionContract(open: Open): void {
  describe('channel kinds and retention', () => {
    test('kind, cacheSize, retention and trimOffset round-trip; retained() lists durable channels with a retention, all apps', async (t) => {
      const s = await fresh(t, open);
      const eph = channel('a1', 'game', { kind: 'ephemeral' });
      const cache = channel('a1', 'ticker', { kind: 'cache', cacheSize: 3 });
      const kept = channel('a2', 'support', { retention: { maxAgeSec: 60, maxCount: 10 } });
      const counted = channel('a1', 'log', { retention: { maxCount: 5 } });
      for (const ch of [eph, cache, kept, counted]) await s.channels.create(ch, []);
      assert.deepEqual(await s.channels.get('a1', 'game'), eph);
      assert.deepEqual(await s.channels.get('a1', 'ticker'), cache);
      assert.deepEqual(await s.channels.get('a2', 'support'), kept);
      const r = (await s.channels.retained()).sort((x, y) => x.name.localeCompare(y.name));
      assert.deepEqual(r, [
        { appId: 'a1', name: 'log', retention: { maxCount: 5 } },
        { appId: 'a2', name: 'support', retention: { maxAgeSec: 60, maxCount: 10 } },
      ]);
    });

    test('trim keeps the newest keepLast, moves trimOffset, never goes back, leaves other channels alone', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'log'), []);
      await s.channels.create(channel('a1', 'other'), []);
      await s.messages.append(Array.from({ length: 12 }, () => msg('a1', 'log')));
      await s.messages.append([msg('a1', 'other')]);
      assert.equal(await s.messages.trim('a1', 'log', { keepLast: 5 }), 7);
      const left = await s.messages.range('a1', 'log', { after: 0, limit: 100 });
      assert.deepEqual(left.map((m) => m.offset), [8, 9, 10, 11, 12]);
      assert.equal((await s.channels.get('a1', 'log'))?.trimOffset, 7);
      assert.equal((await s.channels.get('a1', 'log'))?.topOffset, 12, 'the top does not move');
      assert.equal(await s.messages.trim('a1', 'log', { keepLast: 10 }), 7, 'a looser cut changes nothing');
      assert.equal((await s.messages.range('a1', 'other', { after: 0, limit: 10 })).length, 1);
      const [next] = await s.messages.append([msg('a1', 'log')]);
      assert.equal(next!.offset, 13, 'offsets go on after a trim');
      assert.equal(await s.messages.trim('a1', 'nope', { keepLast: 1 }), 0, 'unknown channel: nothing');
    });

    test('trim by age deletes messages older than the cut', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'log'), []);
      await s.messages.append([msg('a1', 'log', { time: 1000 }), msg('a1', 'log', { time: 2000 }), msg('a1', 'log', { time: 3000 })]);
      assert.equal(await s.messages.trim('a1', 'log', { olderThan: 2500 }), 2);
      assert.deepEqual((await s.messages.range('a1', 'log', { after: 0, limit: 10 })).map((m) => m.offset), [3]);
      assert.equal(await s.messages.trim('a1', 'log', { olderThan: 500, keepLast: 10 }), 2, 'nothing newer to cut');
    });
  });
}
