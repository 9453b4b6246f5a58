import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { FsBlobStore } from '../../src/files/blob-fs.ts';
import { blobContract } from './blob.contract.ts';
import { filesUnder } from '../helpers/files.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const newDir = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-blobs-'));
  dirs.push(d);
  return path.join(d, 'data', 'files');
};

blobContract('fs', async () => new FsBlobStore(newDir()));

describe('FsBlobStore on disk', () => {
  test('blob files are owner-only (0600) in owner-only directories (0700), whatever the umask', async () => {
    const root = newDir();
    const old = process.umask(0o000);
    try {
      const b = new FsBlobStore(root);
      await b.put({ app: 'a1', channel: 'room', id: 'f1' }, (async function* () { yield Buffer.from('secret'); })());
      const [file] = filesUnder(root);
      assert.ok(file);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      for (let d = path.dirname(file); d.length >= root.length; d = path.dirname(d)) assert.equal(fs.statSync(d).mode & 0o777, 0o700, d);
      // Paths are hashes: no app id or channel name appears on disk.
      assert.ok(!file.includes('a1') && !file.includes('room'));
    } finally {
      process.umask(old);
    }
  });

  test('ids that are not plain URL-safe tokens are a programming error', async () => {
    const b = new FsBlobStore(newDir());
    await assert.rejects(b.size({ app: 'a1', channel: 'c', id: '../x' }), TypeError);
    await assert.rejects(b.put({ app: 'a1', channel: 'c', id: '' }, (async function* () {})()), TypeError);
  });
});
