import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FileRecord } from '../../src/store/store.ts';
import { channel, fresh, msg, rejectsCode, type Open } from './store-fixtures.ts';

/** FileStore (src/store/store.ts): descriptions of files in channels, and how they go with their channel and app. */
export function filesContract(open: Open): void {
  describe('files', () => {
    const file = (appId: string, ch: string, id: string, over: Partial<FileRecord> = {}): FileRecord => ({
      appId, channel: ch, id, name: `${id}.png`, type: 'image/png', size: 1234, width: 640, height: 480,
      uploader: 'u1', offset: null, createdAt: 5000, ...over,
    });

    test('create, get, setOffset, delete', async (t) => {
      const s = await fresh(t, open);
      const f = file('a1', 'room', 'f1');
      await s.files.create(f);
      assert.deepEqual(await s.files.get('a1', 'room', 'f1'), f);
      assert.equal(await s.files.get('a1', 'hall', 'f1'), undefined);
      assert.equal(await s.files.get('a2', 'room', 'f1'), undefined);
      await rejectsCode(s.files.create({ ...f, name: 'other' }), 409);
      assert.equal((await s.files.get('a1', 'room', 'f1'))?.name, 'f1.png');
      assert.equal(await s.files.setOffset('a1', 'room', 'f1', 7), true);
      assert.equal((await s.files.get('a1', 'room', 'f1'))?.offset, 7);
      assert.equal(await s.files.setOffset('a1', 'room', 'nope', 7), false);
      assert.equal(await s.files.delete('a1', 'room', 'f1'), true);
      assert.equal(await s.files.delete('a1', 'room', 'f1'), false);
      assert.equal(await s.files.get('a1', 'room', 'f1'), undefined);
      const plain = file('a1', 'room', 'f2', { width: null, height: null, type: 'application/pdf', size: 5 * 1024 ** 3 });
      await s.files.create(plain);
      assert.deepEqual(await s.files.get('a1', 'room', 'f2'), plain);
    });

    test('list: announced files only, newest offset first, paged with before', async (t) => {
      const s = await fresh(t, open);
      for (let i = 1; i <= 5; i++) await s.files.create(file('a1', 'room', `f${i}`, { offset: i * 2 }));
      await s.files.create(file('a1', 'room', 'pending'));
      await s.files.create(file('a1', 'hall', 'elsewhere', { offset: 3 }));
      await s.files.create(file('a2', 'room', 'other-app', { offset: 3 }));
      const ids = async (q: { before?: number; limit: number }) => (await s.files.list('a1', 'room', q)).map((f) => f.id);
      assert.deepEqual(await ids({ limit: 10 }), ['f5', 'f4', 'f3', 'f2', 'f1']);
      assert.deepEqual(await ids({ limit: 2 }), ['f5', 'f4']);
      assert.deepEqual(await ids({ before: 8, limit: 2 }), ['f3', 'f2']);
      assert.deepEqual(await ids({ before: 2, limit: 2 }), []);
    });

    test('deleting the channel or the app deletes its files', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'room'), []);
      await s.channels.create(channel('a1', 'hall'), []);
      await s.messages.append([msg('a1', 'room')]);
      await s.files.create(file('a1', 'room', 'f1', { offset: 1 }));
      await s.files.create(file('a1', 'hall', 'f2', { offset: 1 }));
      await s.files.create(file('a2', 'room', 'f3', { offset: 1 }));
      await s.channels.delete('a1', 'room');
      assert.equal(await s.files.get('a1', 'room', 'f1'), undefined);
      assert.ok(await s.files.get('a1', 'hall', 'f2'));
      await s.apps.delete('a1');
      assert.equal(await s.files.get('a1', 'hall', 'f2'), undefined);
      assert.ok(await s.files.get('a2', 'room', 'f3'), 'other app untouched');
    });
  });
}
