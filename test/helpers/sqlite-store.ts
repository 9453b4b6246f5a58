import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';

/** A real SQLite store in a fresh temp dir, opened as the server opens it; closed and removed after the test. */
export async function tempSqliteStore(t: TestContext, name: string): Promise<Store> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `xpush-${name}-`));
  const store = await openStore({ kind: 'sqlite', path: path.join(dir, 'xpush.db') }, dir);
  t.after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return store;
}
