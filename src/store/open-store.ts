import path from 'node:path';
import type { StoreConfig } from '../config.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

/**
 * Builds the configured store and applies pending migrations before handing it out. PostgreSQL is
 * imported only when chosen, so the embedded default never loads `pg`.
 */
export async function openStore(cfg: StoreConfig, dataDir: string): Promise<Store> {
  let store: Store;
  if (cfg.kind === 'sqlite') {
    store = new SqliteStore(cfg.path ?? path.join(dataDir, 'xpush.db'));
  } else if (cfg.kind === 'postgres') {
    const { PostgresStore } = await import('./postgres/postgres-store.ts');
    store = new PostgresStore(cfg.url, cfg.schema);
  } else {
    throw new TypeError(`unknown store kind ${String((cfg as { kind?: unknown }).kind)}`);
  }
  try {
    await store.migrate();
  } catch (err) {
    // A store that cannot migrate is not handed out: release its file or pool before failing.
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
