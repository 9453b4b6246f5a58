import path from 'node:path';
import type { StoreConfig } from '../config.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';
import { InfraError, safeUrl } from '../infra-error.ts';

/**
 * Builds the configured store and applies pending migrations before handing it out. PostgreSQL is
 * imported only when chosen, so the embedded default never loads `pg`. Any failure is an InfraError
 * naming the store, what it tried and the setting to check.
 */
export async function openStore(cfg: StoreConfig, dataDir: string): Promise<Store> {
  let store: Store;
  if (cfg.kind === 'sqlite') {
    const file = cfg.path ?? path.join(dataDir, 'xpush.db');
    const setting = cfg.path ? 'store.path' : 'dataDir';
    try {
      store = new SqliteStore(file);
    } catch (err) {
      throw new InfraError('store (sqlite)', setting, `cannot open ${path.resolve(file)}`, err);
    }
    return migrated(store, 'store (sqlite)', setting, `cannot prepare ${path.resolve(file)}`);
  }
  if (cfg.kind === 'postgres') {
    // pg reads almost any string as a connection string ("base" becomes the host name "base"):
    // refuse what is not a URL before it turns into a puzzling DNS error.
    if (!/^(postgres|postgresql):\/\/[^/]/i.test(cfg.url ?? '')) {
      throw new InfraError('store (postgres)', 'store.url', `${JSON.stringify(cfg.url)} is not a PostgreSQL URL (expected postgres://user:password@host:5432/database)`);
    }
    const { PostgresStore } = await import('./postgres/postgres-store.ts');
    try {
      store = new PostgresStore(cfg.url, cfg.schema);
    } catch (err) {
      throw new InfraError('store (postgres)', 'store.schema', 'bad schema', err);
    }
    return migrated(store, 'store (postgres)', 'store.url', `cannot connect to ${safeUrl(cfg.url)} and migrate`);
  }
  throw new TypeError(`unknown store kind ${String((cfg as { kind?: unknown }).kind)}`);
}

async function migrated(store: Store, component: string, setting: string, what: string): Promise<Store> {
  try {
    await store.migrate();
  } catch (err) {
    // A store that cannot migrate is not handed out: release its file or pool before failing.
    await store.close().catch(() => undefined);
    throw new InfraError(component, setting, what, err);
  }
  return store;
}
