import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/open-store.ts';
import { migrate, migrations } from '../../src/store/sqlite/migrations.ts';
import { app, channel, msg } from './store-fixtures.ts';
import { DEFAULT_APP_SETTINGS } from '../../src/protocol/app-settings.ts';
import { storeContract } from './store.contract.ts';

// One fresh file per test, opened the way the server opens it. The contract closes each store;
// the directories go once every test is done.
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const newFile = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-store-'));
  dirs.push(dir);
  return path.join(dir, 'nested', 'xpush.db');
};

const open = (file: string) => openStore({ kind: 'sqlite', path: file }, path.dirname(file));

storeContract('sqlite', () => open(newFile()));

describe('SqliteStore on one file over time', () => {
  test('idempotent ids are still known after close and reopen', async () => {
    const file = newFile();
    const a = await open(file);
    await a.apps.create(app('a1'));
    await a.channels.create(channel('a1', 'x'), []);
    const [first] = await a.messages.append([msg('a1', 'x', { id: 'k', idempotent: true })]);
    await a.close();
    const b = await open(file);
    try {
      assert.deepEqual((await b.messages.append([msg('a1', 'x', { id: 'k', idempotent: true })]))[0], first);
      assert.equal((await b.messages.append([msg('a1', 'x')]))[0]!.offset, 2);
    } finally {
      await b.close();
    }
  });

  test('with the checkpoint worker running, close folds the WAL back and loses nothing', async () => {
    const file = newFile();
    const a = await open(file);
    await a.apps.create(app('a1'));
    for (let c = 0; c < 20; c++) await a.channels.create(channel('a1', `c${c}`), []);
    for (let b = 0; b < 50; b++) {
      await a.messages.append(Array.from({ length: 100 }, (_, i) => msg('a1', `c${i % 20}`, { senderUser: `u${i % 20}` })));
      // Turns of the event loop between batches, as the server has: the worker copies meanwhile.
      await new Promise((r) => setImmediate(r));
    }
    await a.close();
    assert.equal(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0, 0);
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.prepare('SELECT count(*) FROM messages').pluck().get(), 5000);
      assert.equal(db.prepare(`SELECT top_offset FROM channels WHERE name = 'c7'`).pluck().get(), 250);
    } finally {
      db.close();
    }
  });

  test('messages written before migration 2 keep their id check', async () => {
    const file = newFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    migrate(db, migrations.filter((m) => m.version === 1));
    db.prepare(`INSERT INTO channels (app_id, name, type, epoch, top_offset, created_at) VALUES ('a1', 'x', 'open', 'e', 1, 1)`).run();
    db.prepare(`INSERT INTO messages (app_id, channel, msg_offset, id, event, data, sender_user, sender_device, sender_client, time)
      VALUES ('a1', 'x', 1, 'old', 'message', '"v1"', 'u1', 'd1', 'c1', 5)`).run();
    db.close();
    const s = await open(file);
    try {
      const [dup] = await s.messages.append([msg('a1', 'x', { id: 'old', idempotent: true, data: 'retry', senderUser: 'u1' })]);
      assert.deepEqual(dup, {
        appId: 'a1', channel: 'x', offset: 1, id: 'old', event: 'message', data: 'v1',
        senderUser: 'u1', senderDevice: 'd1', senderClient: 'c1', time: 5,
      });
      const [next] = await s.messages.append([msg('a1', 'x')]);
      assert.equal(next!.offset, 2);
    } finally {
      await s.close();
    }
  });

  test('apps and users stored before migration 4 read default settings and an empty private profile', async () => {
    const file = newFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    migrate(db, migrations.filter((m) => m.version < 4));
    db.prepare(`INSERT INTO apps (id, name, key, secret, created_at) VALUES ('a1', 'old', 'k1', 's1', 1)`).run();
    db.prepare(`INSERT INTO users (app_id, user_id, password_hash, profile, created_at) VALUES ('a1', 'u1', NULL, '{"n":1}', 2)`).run();
    db.close();
    const s = await open(file);
    try {
      assert.deepEqual((await s.apps.get('a1'))?.settings, DEFAULT_APP_SETTINGS);
      assert.deepEqual(await s.users.get('a1', 'u1'), { appId: 'a1', userId: 'u1', passwordHash: null, profile: { n: 1 }, privateProfile: {}, createdAt: 2 });
    } finally {
      await s.close();
    }
  });
});
