import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { channel, fresh, msg, rejectsCode, sorted, type Open } from './store-fixtures.ts';

/** Channels, messages and read positions: the part of the Store contract the publish path lives on. */
export function streamContract(open: Open): void {
  channels(open);
  messages(open);
  reads(open);
}

function channels(open: Open): void {
  describe('channels', () => {
    test('create with members, get round-trips; same name in another app is separate', async (t) => {
      const s = await fresh(t, open);
      const ch = channel('a1', 'room', { type: 'open', data: { title: 'Hi', tags: [1, 2] }, ownerId: 'u1' });
      await s.channels.create(ch, ['u1', 'u2', 'u2']);
      assert.deepEqual(await s.channels.get('a1', 'room'), ch);
      assert.deepEqual(await s.channels.members('a1', 'room'), ['u1', 'u2']);
      assert.equal(await s.channels.get('a2', 'room'), undefined);
      assert.equal(await s.channels.get('a1', 'nope'), undefined);
      await s.channels.create(channel('a2', 'room', { epoch: 'other' }), []);
      assert.equal((await s.channels.get('a2', 'room'))?.epoch, 'other');
      assert.deepEqual(await s.channels.members('a2', 'room'), []);
    });

    test('duplicate channel rejects with conflict and changes nothing (members included)', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'room', { data: 1 }), ['u1']);
      await rejectsCode(s.channels.create(channel('a1', 'room', { data: 2, epoch: 'new' }), ['u9']), 409);
      assert.deepEqual(await s.channels.get('a1', 'room'), channel('a1', 'room', { data: 1 }));
      assert.deepEqual(await s.channels.members('a1', 'room'), ['u1']);
    });

    test('updateData', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'room'), []);
      assert.equal(await s.channels.updateData('a1', 'room', { topic: 'x' }), true);
      assert.deepEqual((await s.channels.get('a1', 'room'))?.data, { topic: 'x' });
      assert.equal(await s.channels.updateData('a1', 'nope', 1), false);
      assert.equal(await s.channels.updateData('a2', 'room', 1), false);
    });

    test('addMembers / removeMembers return what actually changed; isMember; members ordered', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'room'), ['u2']);
      assert.deepEqual(sorted(await s.channels.addMembers('a1', 'room', ['u3', 'u2', 'u1', 'u1'], 5000)), ['u1', 'u3']);
      assert.deepEqual(await s.channels.addMembers('a1', 'room', ['u1'], 5000), []);
      assert.deepEqual(await s.channels.members('a1', 'room'), ['u1', 'u2', 'u3']);
      assert.equal(await s.channels.isMember('a1', 'room', 'u3'), true);
      assert.equal(await s.channels.isMember('a1', 'room', 'u9'), false);
      assert.equal(await s.channels.isMember('a2', 'room', 'u3'), false);
      assert.deepEqual(await s.channels.addMembers('a1', 'nope', ['u1'], 5000), []);
      assert.deepEqual(await s.channels.addMembers('a2', 'room', ['u1'], 5000), []);
      assert.deepEqual(await s.channels.members('a2', 'room'), []);
      assert.deepEqual(sorted(await s.channels.removeMembers('a1', 'room', ['u3', 'u9', 'u1'])), ['u1', 'u3']);
      assert.deepEqual(await s.channels.removeMembers('a1', 'room', ['u1']), []);
      assert.deepEqual(await s.channels.members('a1', 'room'), ['u2']);
      assert.deepEqual(await s.channels.members('a1', 'nope'), []);
    });

    test('removing a member drops their read position', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'room'), ['u1', 'u2']);
      await s.messages.append([msg('a1', 'room'), msg('a1', 'room')]);
      await s.reads.markRead('a1', 'u1', 'room', 2);
      await s.reads.markRead('a1', 'u2', 'room', 1);
      await s.channels.removeMembers('a1', 'room', ['u1']);
      assert.equal(await s.reads.get('a1', 'u1', 'room'), 0);
      assert.equal(await s.reads.get('a1', 'u2', 'room'), 1);
      await s.channels.addMembers('a1', 'room', ['u1'], 6000);
      assert.equal(await s.reads.get('a1', 'u1', 'room'), 0);
    });

    test('listForUser: the user\'s channels ordered by name, current topOffset', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'gamma'), ['u1']);
      await s.channels.create(channel('a1', 'alpha'), ['u1', 'u2']);
      await s.channels.create(channel('a1', 'beta'), ['u2']);
      await s.channels.create(channel('a2', 'delta'), ['u1']);
      await s.messages.append([msg('a1', 'alpha'), msg('a1', 'alpha')]);
      const list = await s.channels.listForUser('a1', 'u1');
      assert.deepEqual(list.map((c) => c.name), ['alpha', 'gamma']);
      assert.equal(list[0]!.topOffset, 2);
      assert.deepEqual(list[1], channel('a1', 'gamma'));
      assert.deepEqual(await s.channels.listForUser('a1', 'nobody'), []);
    });

    test('list: all channels of the app by name, paged with an opaque cursor, prefix matched literally', async (t) => {
      const s = await fresh(t, open);
      for (const n of ['room-b', 'room_a', 'room-a', 'lobby', 'roomx', 'r%m']) await s.channels.create(channel('a1', n), []);
      await s.channels.create(channel('a2', 'room-z'), []);
      await s.messages.append([msg('a1', 'lobby')]);
      const names = async (q: { prefix?: string; limit: number; cursor?: string }) => {
        const seen: string[] = [];
        let cursor = q.cursor;
        let pages = 0;
        do {
          const page = await s.channels.list('a1', { ...q, cursor });
          assert.ok(page.items.length <= q.limit);
          seen.push(...page.items.map((c) => c.name));
          cursor = page.next;
          pages++;
        } while (cursor !== undefined && pages < 10);
        return { seen, pages };
      };
      assert.deepEqual(await names({ limit: 2 }), { seen: ['lobby', 'r%m', 'room-a', 'room-b', 'room_a', 'roomx'], pages: 3 });
      assert.deepEqual(await names({ prefix: 'room-', limit: 10 }), { seen: ['room-a', 'room-b'], pages: 1 });
      assert.deepEqual((await names({ prefix: 'r%', limit: 10 })).seen, ['r%m'], 'no wildcards in a prefix');
      assert.deepEqual((await names({ prefix: 'room_', limit: 10 })).seen, ['room_a'], 'no wildcards in a prefix');
      const first = await s.channels.list('a1', { limit: 1 });
      assert.equal(first.items[0]!.topOffset, 1);
      assert.deepEqual({ ...first.items[0]!, topOffset: 0 }, channel('a1', 'lobby'));
      assert.deepEqual(await s.channels.list('a3', { limit: 5 }), { items: [] });
    });

    test('delete removes members, messages and read positions; re-creating starts empty', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'room'), ['u1']);
      await s.channels.create(channel('a1', 'keep'), ['u1']);
      await s.messages.append([msg('a1', 'room', { id: 'dup', idempotent: true, senderUser: 'u1' }), msg('a1', 'keep', { senderUser: 'u1' })]);
      assert.equal(await s.channels.delete('a2', 'room'), false);
      assert.equal(await s.channels.delete('a1', 'room'), true);
      assert.equal(await s.channels.delete('a1', 'room'), false);
      assert.equal(await s.channels.get('a1', 'room'), undefined);
      assert.equal(await s.channels.isMember('a1', 'room', 'u1'), false);
      assert.deepEqual((await s.channels.listForUser('a1', 'u1')).map((c) => c.name), ['keep']);
      assert.deepEqual(await s.messages.range('a1', 'room', { limit: 10 }), []);
      assert.equal(await s.reads.get('a1', 'u1', 'room'), 0);
      await s.channels.create(channel('a1', 'room', { epoch: 'e2' }), ['u1']);
      assert.equal((await s.channels.get('a1', 'room'))?.topOffset, 0);
      // The old message id is free again: a new stream, a new message at offset 1.
      const [again] = await s.messages.append([msg('a1', 'room', { id: 'dup', idempotent: true })]);
      assert.equal(again!.offset, 1);
      assert.equal((await s.channels.get('a1', 'keep'))?.topOffset, 1);
      assert.equal(await s.reads.get('a1', 'u1', 'keep'), 1);
    });
  });
}

function messages(open: Open): void {
  describe('messages', () => {
    test('append allocates gap-free offsets per channel and returns records in input order', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), []);
      await s.channels.create(channel('a1', 'y'), []);
      await s.channels.create(channel('a2', 'x'), []);
      const batch = [msg('a1', 'x'), msg('a1', 'y'), msg('a1', 'x', { data: 'text' }), msg('a2', 'x', { data: null }), msg('a1', 'x')];
      const out = await s.messages.append(batch);
      assert.deepEqual(out.map((m) => m.offset), [1, 1, 2, 1, 3]);
      assert.deepEqual(out, batch.map((m, i) => ({ ...m, offset: out[i]!.offset })));
      const out2 = await s.messages.append([msg('a1', 'x'), msg('a1', 'y')]);
      assert.deepEqual(out2.map((m) => m.offset), [4, 2]);
      assert.equal((await s.channels.get('a1', 'x'))?.topOffset, 4);
      assert.equal((await s.channels.get('a2', 'x'))?.topOffset, 1);
      assert.deepEqual(await s.messages.range('a1', 'x', { limit: 10 }), [out[0], out[2], out[4], out2[0]]);
      assert.deepEqual(await s.messages.append([]), []);
    });

    test('dataJson, when the publish path gives it, is the stored text; records carry data only', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), []);
      const data = { text: 'héllo "quoted"\u2028', n: [1, 2.5, null] };
      const [r] = await s.messages.append([msg('a1', 'x', { data, dataJson: JSON.stringify(data) })]);
      assert.equal(r!.offset, 1);
      assert.equal('dataJson' in r!, false);
      assert.equal('idempotent' in r!, false);
      const [stored] = await s.messages.range('a1', 'x', { limit: 1 });
      assert.deepEqual(stored!.data, data);
    });

    test('concurrent appends never reuse or skip an offset', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), []);
      const outs = await Promise.all(Array.from({ length: 20 }, () => s.messages.append(Array.from({ length: 10 }, () => msg('a1', 'x')))));
      const offsets = outs.flat().map((m) => m.offset).sort((a, b) => a - b);
      assert.deepEqual(offsets, Array.from({ length: 200 }, (_, i) => i + 1));
      for (const o of outs) for (let i = 1; i < o.length; i++) assert.ok(o[i]!.offset > o[i - 1]!.offset);
      assert.equal((await s.channels.get('a1', 'x'))?.topOffset, 200);
    });

    test('a batch naming an unknown channel stores nothing and rejects with 102', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), ['u1']);
      await rejectsCode(s.messages.append([msg('a1', 'x', { senderUser: 'u1' }), msg('a1', 'missing')]), 102);
      // The channel exists, but in another app.
      await rejectsCode(s.messages.append([msg('a1', 'x'), msg('a2', 'x')]), 102);
      assert.equal((await s.channels.get('a1', 'x'))?.topOffset, 0);
      assert.deepEqual(await s.messages.range('a1', 'x', { limit: 10 }), []);
      assert.equal(await s.reads.get('a1', 'u1', 'x'), 0);
      const [m] = await s.messages.append([msg('a1', 'x')]);
      assert.equal(m!.offset, 1);
    });

    test('the sender\'s read position moves to what they wrote; the backend (\'\') moves nothing', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), ['u1', 'u2']);
      await s.messages.append([msg('a1', 'x', { senderUser: 'u1' }), msg('a1', 'x', { senderUser: 'u2' }), msg('a1', 'x', { senderUser: 'u1' })]);
      assert.equal(await s.reads.get('a1', 'u1', 'x'), 3);
      assert.equal(await s.reads.get('a1', 'u2', 'x'), 2);
      await s.messages.append([msg('a1', 'x'), msg('a1', 'x', { senderUser: '' })]);
      assert.equal(await s.reads.get('a1', 'u1', 'x'), 3);
      assert.equal(await s.reads.get('a1', '', 'x'), 0);
      const pos = await s.reads.positions('a1', 'u1');
      assert.deepEqual(pos, [{ channel: 'x', readOffset: 3, topOffset: 5, unread: 2 }]);
    });

    test('range pages forward with after and backward with before/reverse', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), []);
      await s.channels.create(channel('a2', 'x'), []);
      await s.messages.append(Array.from({ length: 10 }, () => msg('a1', 'x')));
      await s.messages.append([msg('a2', 'x')]);
      const offs = async (q: { after?: number; before?: number; limit: number; reverse?: boolean }) =>
        (await s.messages.range('a1', 'x', q)).map((m) => m.offset);
      assert.deepEqual(await offs({ limit: 3 }), [1, 2, 3]);
      assert.deepEqual(await offs({ after: 3, limit: 3 }), [4, 5, 6]);
      assert.deepEqual(await offs({ after: 8, limit: 5 }), [9, 10]);
      assert.deepEqual(await offs({ after: 10, limit: 5 }), []);
      assert.deepEqual(await offs({ reverse: true, limit: 3 }), [10, 9, 8]);
      assert.deepEqual(await offs({ reverse: true, before: 8, limit: 3 }), [7, 6, 5]);
      assert.deepEqual(await offs({ reverse: true, before: 3, limit: 5 }), [2, 1]);
      assert.deepEqual(await offs({ reverse: true, before: 1, limit: 5 }), []);
      assert.deepEqual(await offs({ limit: 0 }), []);
      assert.deepEqual((await s.messages.range('a2', 'x', { limit: 10 })).map((m) => m.offset), [1]);
      assert.deepEqual(await s.messages.range('a1', 'nope', { limit: 10 }), []);
    });
  });
}

function reads(open: Open): void {
  describe('reads', () => {
    test('markRead only moves forward and returns the stored position', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), ['u1']);
      await s.messages.append(Array.from({ length: 10 }, () => msg('a1', 'x')));
      assert.equal(await s.reads.get('a1', 'u1', 'x'), 0);
      assert.equal(await s.reads.markRead('a1', 'u1', 'x', 5), 5);
      assert.equal(await s.reads.markRead('a1', 'u1', 'x', 3), 5);
      assert.equal(await s.reads.get('a1', 'u1', 'x'), 5);
      assert.equal(await s.reads.markRead('a1', 'u1', 'x', 7), 7);
      assert.equal(await s.reads.get('a2', 'u1', 'x'), 0);
      assert.equal(await s.reads.get('a1', 'u2', 'x'), 0);
    });

    // Why: a position past the top would hide the next messages from the unread count, and a row
    // kept for a missing channel would mark the first messages of a later channel of that name read.
    test('markRead never passes the channel top; an unknown channel stores nothing', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'x'), ['u1']);
      await s.messages.append([msg('a1', 'x'), msg('a1', 'x')]);
      assert.equal(await s.reads.markRead('a1', 'u1', 'x', 99), 2);
      assert.equal(await s.reads.markRead('a1', 'u1', 'nope', 3), 0);
      assert.equal(await s.reads.get('a1', 'u1', 'nope'), 0);
      assert.equal(await s.reads.markRead('a2', 'u1', 'x', 1), 0);
    });

    test('positions: member channels only, ordered, unread = top - read', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'beta'), ['u1']);
      await s.channels.create(channel('a1', 'alpha'), ['u1', 'u2']);
      await s.channels.create(channel('a1', 'open'), []);
      await s.channels.create(channel('a2', 'alpha'), ['u1']);
      await s.messages.append([msg('a1', 'alpha'), msg('a1', 'alpha'), msg('a1', 'alpha'), msg('a1', 'open'), msg('a2', 'alpha')]);
      await s.reads.markRead('a1', 'u1', 'alpha', 1);
      await s.reads.markRead('a1', 'u1', 'open', 1);
      assert.deepEqual(await s.reads.positions('a1', 'u1'), [
        { channel: 'alpha', readOffset: 1, topOffset: 3, unread: 2 },
        { channel: 'beta', readOffset: 0, topOffset: 0, unread: 0 },
      ]);
      await s.messages.append([msg('a1', 'beta'), msg('a1', 'alpha')]);
      assert.deepEqual(await s.reads.positions('a1', 'u1'), [
        { channel: 'alpha', readOffset: 1, topOffset: 4, unread: 3 },
        { channel: 'beta', readOffset: 0, topOffset: 1, unread: 1 },
      ]);
      assert.deepEqual(await s.reads.positions('a2', 'u1'), [{ channel: 'alpha', readOffset: 0, topOffset: 1, unread: 1 }]);
      assert.deepEqual(await s.reads.positions('a1', 'nobody'), []);
    });
  });
}
