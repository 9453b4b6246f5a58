import path from 'node:path';
import type { Config } from '../config.ts';
import type { BlobStore } from './blob-store.ts';
import { FsBlobStore } from './blob-fs.ts';

/** Partial uploads older than this are removed when a node starts (a put that slow is given up). */
export const SWEEP_AFTER_MS = 24 * 3600_000;

/**
 * The configured blob store (config.blobStore; by default PostgreSQL with the postgres store, the
 * filesystem with SQLite). PostgreSQL is imported only when chosen. Leftovers of uploads cut by a
 * crash are swept before it is handed out.
 */
export async function openBlobStore(config: Config): Promise<BlobStore> {
  const kind = blobStoreKind(config);
  let blobs: BlobStore;
  if (kind === 'postgres') {
    if (config.store.kind !== 'postgres') throw new TypeError('config.blobStore=postgres needs the postgres store (the blobs live in its database)');
    const { PostgresBlobStore } = await import('./blob-postgres.ts');
    blobs = new PostgresBlobStore(config.store.url, config.store.schema);
  } else {
    blobs = new FsBlobStore(config.blobDir ?? path.join(config.dataDir, 'files'));
  }
  try {
    await blobs.sweep(Date.now() - SWEEP_AFTER_MS);
  } catch (err) {
    await blobs.close().catch(() => undefined);
    throw err;
  }
  return blobs;
}

export function blobStoreKind(config: Config): 'fs' | 'postgres' {
  return config.blobStore ?? (config.store.kind === 'postgres' ? 'postgres' : 'fs');
}
