import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresBlobStore } from '../../src/files/blob-postgres.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { blobContract } from './blob.contract.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

// A private schema per store, migrated by the store (migration 7 creates the blob tables); closing
// the blob store drops it.
blobContract('postgres', async () => {
  const schema = `xpush_blob_${randomBytes(5).toString('hex')}`;
  const store = new PostgresStore(PG_URL, schema);
  await store.migrate();
  await store.close();
  const blobs = new PostgresBlobStore(PG_URL, schema);
  let dropped: Promise<void> | undefined;
  const close = blobs.close.bind(blobs);
  blobs.close = () => (dropped ??= close().then(() => dropSchema(schema)));
  return blobs;
});
