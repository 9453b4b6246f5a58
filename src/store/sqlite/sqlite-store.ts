import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../store.ts';
import { SqliteAppStore } from './apps.ts';
import { Checkpointer } from './checkpointer.ts';
import { SqliteChannelStore } from './channels.ts';
import { Statements } from './db.ts';
import { SqliteFileStore } from './files.ts';
import { SqliteGroupStore } from './groups.ts';
import { SqliteMessageStore } from './messages.ts';
import { migrate } from './migrations.ts';
import { SqliteReadStore } from './reads.ts';
import { SqliteSessionStore } from './sessions.ts';
import { SqlitePushStore } from './push.ts';
import { SqliteUserStore } from './users.ts';
import { SqliteWebhookStore } from './webhooks.ts';
import { makePrivateDir, makePrivateFile, tightenIfPresent } from '../../private-files.ts';

/** SQLite's default autocheckpoint mark, in pages. */
const DEFAULT_CHECKPOINT_PAGES = 1000;
/** The mark while the checkpoint worker runs: only reached if it cannot keep the WAL short. */
const SAFETY_CHECKPOINT_PAGES = 10_000;

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
  readonly files: SqliteFileStore;
  readonly webhooks: SqliteWebhookStore;
  readonly push: SqlitePushStore;
  private readonly db: Database.Database;
  private readonly checkpointer?: Checkpointer;
  private closing?: Promise<void>;

  constructor(filePath: string) {
    if (filePath !== ':memory:') {
      // App secrets and password hashes live here: owner-only. SQLite gives the -wal and -shm files
      // it creates the database file's mode, so a 0600 database keeps them 0600 too.
      makePrivateDir(path.dirname(path.resolve(filePath)));
      makePrivateFile(filePath);
      for (const suffix of ['-wal', '-shm', '-journal']) tightenIfPresent(filePath + suffix);
    }
    this.db = new Database(filePath);
    // WAL: readers never block the writer. synchronous=NORMAL: a commit survives a process crash
    // without an fsync per transaction (a power loss may drop the last commits).
    const wal = this.db.pragma('journal_mode = WAL', { simple: true }) === 'wal';
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // Another process holding the write lock (e.g. a CLI next to the server) is waited for, not an error.
    this.db.pragma('busy_timeout = 5000');
    // WAL checkpoints run on a worker thread once messages flow (see Checkpointer); the connection's
    // own autocheckpoint then only catches up when the WAL passes ~40 MB. An in-memory database
    // has no WAL.
    if (wal) {
      this.checkpointer = new Checkpointer(
        path.resolve(filePath),
        () => this.db.pragma(`wal_autocheckpoint = ${SAFETY_CHECKPOINT_PAGES}`),
        (err) => {
          if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_CHECKPOINT_PAGES}`);
          process.emitWarning(`xpush: SQLite checkpoint worker failed, checkpointing on the main thread: ${err.message}`);
        },
      );
    }
    const q = new Statements(this.db);
    this.apps = new SqliteAppStore(q);
    this.users = new SqliteUserStore(q);
    this.sessions = new SqliteSessionStore(q);
    this.channels = new SqliteChannelStore(q);
    this.messages = new SqliteMessageStore(q, () => this.checkpointer?.kick());
    this.reads = new SqliteReadStore(q);
    this.groups = new SqliteGroupStore(q);
    this.files = new SqliteFileStore(q);
    this.webhooks = new SqliteWebhookStore(q);
    this.push = new SqlitePushStore(q);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async migrate(): Promise<void> {
    migrate(this.db);
  }

  /** Closing twice is harmless; any other call after close rejects (the connection is gone). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (!this.db.open) return;
    // The worker's connection goes first: the final TRUNCATE needs the WAL to itself.
    await this.checkpointer?.close();
    // Folds the WAL back into the main file so a copied .db file is complete on its own.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    // Refreshes planner statistics where they went stale (cheap; what SQLite recommends on close).
    this.db.pragma('optimize');
    this.db.close();
  }
}
