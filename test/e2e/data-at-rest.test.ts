// Issue 8, item 12: the SQLite file holds app secrets and password hashes, the admin-token file the
// admin credential. The data dir is created 0700, those files 0600 (with their -wal/-shm), whatever
// the process umask; files an older version left world-readable are tightened on start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from '../../src/index.ts';
import { wrapServer } from '../helpers/server.ts';

const mode = (p: string): string => (fs.statSync(p).mode & 0o777).toString(8).padStart(3, '0');

/** Runs `fn` with `umask` in force, restoring the previous one afterwards. */
async function withUmask<T>(umask: number, fn: () => Promise<T>): Promise<T> {
  const before = process.umask(umask);
  try {
    return await fn();
  } finally {
    process.umask(before);
  }
}

for (const umask of [0o022, 0o000]) {
  test(`a fresh data dir is 0700 and the database, its -wal/-shm and the admin token 0600 (umask ${umask.toString(8).padStart(3, '0')})`, async (t) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-modes-'));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const dataDir = path.join(root, 'nested', 'data');
    const ts = await withUmask(umask, async () => {
      const server = await createServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' });
      return wrapServer(t, server, dataDir);
    });
    await ts.createApp(); // writes: the WAL and shared-memory files exist while the server runs
    assert.equal(mode(dataDir), '700');
    assert.equal(mode(path.join(root, 'nested')), '700', 'parents created on the way are private too');
    for (const f of ['xpush.db', 'xpush.db-wal', 'xpush.db-shm', 'admin-token']) {
      assert.equal(mode(path.join(dataDir, f)), '600', f);
    }
  });
}

test('files an older version created world-readable are made 0600 on start', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-modes-'));
  fs.chmodSync(dataDir, 0o755);
  const first = await createServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' });
  await first.close();
  for (const f of ['xpush.db', 'admin-token']) fs.chmodSync(path.join(dataDir, f), 0o644);
  const ts = await wrapServer(t, await createServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' }), dataDir);
  await ts.createApp();
  for (const f of ['xpush.db', 'xpush.db-wal', 'xpush.db-shm', 'admin-token']) assert.equal(mode(path.join(dataDir, f)), '600', f);
  assert.equal(mode(dataDir), '755', 'an existing directory is the operator\'s: left as it is');
});
