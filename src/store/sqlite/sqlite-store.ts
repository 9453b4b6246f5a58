import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../store.ts';
import { SqliteAppStore } from './apps.ts';
import { SqliteChannelStore } from './channels.ts';
import { Statements } from './db.ts';
import { SqliteGroupStore } from './groups.ts';
import { SqliteMessageStore } from './messages.ts';
import { migrate } from './migrations.ts';
import { SqliteReadStore } from './reads.ts';
import { SqliteSessionStore } from './sessions.ts';
import { SqliteUserStore } from './users.ts';

/**
 * The embedded default store: one SQLite file, opened synchronously (better-sqlite3). Calls run on
 * the event loop, which is why every write is a short transaction over prepared statements and the
 * publish path hands over whole batches. See Store (src/store/store.ts) for the contract.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly apps: SqliteAppStore;
  readonly users: SqliteUserStore;
  readonly sessions: SqliteSessionStore;
  readonly channels: SqliteChannelStore;
  readonly messages: SqliteMessageStore;
  readonly reads: SqliteReadStore;
  readonly groups: SqliteGroupStore;
  private readonly db: Database.Database;

  constructor(filePath: string) {
    if (filePath !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
    this.db = new Database(filePath);
    // WAL: readers never block the writer. synchronous=NORMAL: a commit survives a process crash
    // without an fsync per transaction (a power loss may drop the last commits).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // Another process holding the write lock (e.g. a CLI next to the server) is waited for, not an error.
    this.db.pragma('busy_timeout = 5000');
    for (const p of (process.env.XP_TMP_PRAGMAS ?? '').split(';').filter(Boolean)) this.db.pragma(p); // TEMP-EXPERIMENT
    const q = new Statements(this.db);
    this.apps = new SqliteAppStore(q);
    this.users = new SqliteUserStore(q);
    this.sessions = new SqliteSessionStore(q);
    this.channels = new SqliteChannelStore(q);
    this.messages = new SqliteMessageStore(q);
    this.reads = new SqliteReadStore(q);
    this.groups = new SqliteGroupStore(q);
  }

  async migrate(): Promise<void> {
    migrate(this.db);
  }

  /** Closing twice is harmless; any other call after close rejects (the connection is gone). */
  async close(): Promise<void> {
    if (!this.db.open) return;
    // Folds the WAL back into the main file so a copied .db file is complete on its own.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    // Refreshes planner statistics where they went stale (cheap; what SQLite recommends on close).
    this.db.pragma('optimize');
    this.db.close();
  }
}
