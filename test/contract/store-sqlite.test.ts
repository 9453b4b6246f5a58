import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { openStore } from '../../src/store/open-store.ts';
import { storeContract } from './store.contract.ts';

// One fresh file per test, opened the way the server opens it. The contract closes each store;
// the directories go once every test is done.
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

storeContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-store-'));
  dirs.push(dir);
  return openStore({ kind: 'sqlite', path: path.join(dir, 'nested', 'xpush.db') }, dir);
});
