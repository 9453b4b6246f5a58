import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { PG_URL } from '../helpers/services.ts';
import { pushStoreContract } from './push-store.contract.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

pushStoreContract('sqlite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-push-store-'));
  dirs.push(dir);
  return openStore({ kind: 'sqlite', path: path.join(dir, 'xpush.db') }, dir);
});

// A private schema per store, dropped when the store closes; the shared store reads the same schema.
const schemas = new WeakMap<object, string>();
pushStoreContract('postgres', async () => {
  const schema = `xpush_push_${randomBytes(5).toString('hex')}`;
  const store = new PostgresStore(PG_URL, schema);
  await store.migrate();
  schemas.set(store, schema);
  const close = store.close.bind(store);
  let closed: Promise<void> | undefined;
  store.close = () => (closed ??= close().then(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => c.end());
  }));
  return store;
}, async (s) => {
  const other = new PostgresStore(PG_URL, schemas.get(s)!);
  await other.migrate();
  return other;
});
