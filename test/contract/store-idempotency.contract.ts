import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { channel, fresh, msg, rejectsCode, type Open } from './store-fixtures.ts';

/**
 * Idempotent publish (MessageStore.append): only messages marked `idempotent` are checked for a
 * known id; server-made ids are not. Restart and migration cases need to reopen the same backing
 * store, so they live in each implementation's test file.
 */
export function idempotencyContract(open: Open): void {
  describe('idempotent messages', () => {
    test('a known id is not stored again, within a batch or across batches: the first record comes back', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), []);
      await s.channels.create(channel('a1', 'y'), []);
      const [first] = await s.messages.append([msg('a1', 'x', { id: 'same', idempotent: true, data: 'original' })]);
      const out = await s.messages.append([
        msg('a1', 'x', { id: 'same', idempotent: true, data: 'retry' }),
        msg('a1', 'x', { id: 'fresh', idempotent: true }),
        msg('a1', 'x', { id: 'fresh', idempotent: true, data: 'dup-in-batch' }),
        msg('a1', 'y', { id: 'same', idempotent: true }),
      ]);
      assert.deepEqual(out[0], first);
      assert.equal(out[1]!.offset, 2);
      assert.deepEqual(out[2], out[1]);
      assert.equal(out[3]!.offset, 1);
      assert.equal((await s.channels.get('a1', 'x'))?.topOffset, 2);
      assert.equal((await s.messages.range('a1', 'x', { limit: 10 })).length, 2);
    });

    test('dedupe still holds after plain messages; plain ids are not checked', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), []);
      const [first] = await s.messages.append([msg('a1', 'x', { id: 'k', idempotent: true, data: 'first' })]);
      // A plain message is never matched against idempotent ids, even one that happens to be equal
      // (server-made ids are random UUIDs, so this only shows what the store checks).
      const out = await s.messages.append([
        msg('a1', 'x'),
        msg('a1', 'x', { id: 'k', data: 'plain' }),
        msg('a1', 'x', { id: 'k', idempotent: true, data: 'retry' }),
        msg('a1', 'x'),
      ]);
      assert.deepEqual(out.map((m) => m.offset), [2, 3, 1, 4]);
      assert.deepEqual(out[2], first);
      const [again] = await s.messages.append([msg('a1', 'x', { id: 'k', idempotent: true, data: 'later' })]);
      assert.deepEqual(again, first);
      assert.equal((await s.channels.get('a1', 'x'))?.topOffset, 4);
      const stored = await s.messages.range('a1', 'x', { limit: 10 });
      assert.deepEqual(stored.map((m) => [m.offset, m.id, m.data]), [
        [1, 'k', 'first'], [2, out[0]!.id, out[0]!.data], [3, 'k', 'plain'], [4, out[3]!.id, out[3]!.data],
      ]);
    });

    test('a duplicate moves no read position and no top; ids are per channel and per app', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), ['u1', 'u2']);
      await s.channels.create(channel('a2', 'x'), []);
      await s.messages.append([msg('a1', 'x', { id: 'k', idempotent: true, senderUser: 'u1' })]);
      await s.messages.append([msg('a1', 'x', { senderUser: 'u2' })]);
      const [dup] = await s.messages.append([msg('a1', 'x', { id: 'k', idempotent: true, senderUser: 'u1' })]);
      assert.equal(dup!.offset, 1);
      assert.equal(dup!.senderUser, 'u1');
      assert.equal(await s.reads.get('a1', 'u1', 'x'), 1, 'the retry moved no read position');
      assert.equal((await s.channels.get('a1', 'x'))?.topOffset, 2);
      const [other] = await s.messages.append([msg('a2', 'x', { id: 'k', idempotent: true, senderUser: 'u1' })]);
      assert.equal(other!.offset, 1);
      assert.equal(other!.appId, 'a2');
    });

    test('ids are per sender: a message of another sender with the same id is a different message', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), ['victim', 'squatter']);
      // The squatter takes the victim's next id first, alone and in a batch with the victim's own.
      const [squat] = await s.messages.append([msg('a1', 'x', { id: 'victim-1', idempotent: true, senderUser: 'squatter', data: 'spoof' })]);
      const [mine] = await s.messages.append([msg('a1', 'x', { id: 'victim-1', idempotent: true, senderUser: 'victim', data: 'real' })]);
      assert.equal(squat!.offset, 1);
      assert.deepEqual([mine!.offset, mine!.senderUser, mine!.data], [2, 'victim', 'real']);
      const batch = await s.messages.append([
        msg('a1', 'x', { id: 'victim-2', idempotent: true, senderUser: 'squatter', data: 'spoof-2' }),
        msg('a1', 'x', { id: 'victim-2', idempotent: true, senderUser: 'victim', data: 'real-2' }),
        msg('a1', 'x', { id: 'victim-2', idempotent: true, senderUser: 'victim', data: 'retry-in-batch' }),
      ]);
      assert.deepEqual(batch.map((m) => [m.offset, m.senderUser, m.data]), [[3, 'squatter', 'spoof-2'], [4, 'victim', 'real-2'], [4, 'victim', 'real-2']]);
      // Each sender's retry finds its own message.
      const retries = await s.messages.append([
        msg('a1', 'x', { id: 'victim-1', idempotent: true, senderUser: 'victim', data: 'retry' }),
        msg('a1', 'x', { id: 'victim-1', idempotent: true, senderUser: 'squatter', data: 'retry' }),
      ]);
      assert.deepEqual(retries.map((m) => [m.offset, m.data]), [[2, 'real'], [1, 'spoof']]);
      // The app's backend ('' sender) has its own ids too.
      const [backend] = await s.messages.append([msg('a1', 'x', { id: 'victim-1', idempotent: true, senderUser: '', data: 'from backend' })]);
      assert.equal(backend!.offset, 5);
      assert.equal((await s.channels.get('a1', 'x'))?.topOffset, 5);
    });

    test('ids of a rejected batch stay free', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), []);
      await rejectsCode(s.messages.append([msg('a1', 'x', { id: 'k', idempotent: true }), msg('a1', 'missing')]), 102);
      const [m] = await s.messages.append([msg('a1', 'x', { id: 'k', idempotent: true, data: 'stored' })]);
      assert.equal(m!.offset, 1);
      assert.equal(m!.data, 'stored');
    });
  });
}
