import pg from 'pg';
import type { Store } from '../store.ts';
import { PostgresAppStore } from './apps.ts';
import { PostgresChannelStore } from './channels.ts';
import { PostgresFileStore } from './files.ts';
import { PostgresGroupStore } from './groups.ts';
import { PostgresMessageStore } from './messages.ts';
import { checkSchemaName, migrate } from './migrations.ts';
import { PostgresReadStore } from './reads.ts';
import { PostgresSessionStore } from './sessions.ts';
import { PostgresUserStore } from './users.ts';
import { PostgresWebhookStore } from './webhooks.ts';
import { PostgresPushStore } from './push.ts';

export interface PostgresStoreOptions {
  /** Pool size per process (default 10). Appends hold a connection for one short transaction. */
  max?: number;
  /**
   * Errors of idle pooled connections (server restart, network cut). The pool already drops such a
   * connection and the next query opens a new one; without a listener Node would crash the process.
   */
  onError?: (err: Error) => void;
}

const INT8 = 20;

/**
 * bigint columns (times, offsets, counts) come back as numbers, not strings: epoch ms and offsets
 * stay far below 2^53. Set per pool so other pg users in the process are not affected.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * The PostgreSQL store, shared by every node of a cluster. `schema` (created on migrate if missing)
 * becomes every pooled connection's search_path, so one database can host separate instances (and
 * tests a private schema each).
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly apps: PostgresAppStore;
  readonly users: PostgresUserStore;
  readonly sessions: PostgresSessionStore;
  readonly channels: PostgresChannelStore;
  readonly messages: PostgresMessageStore;
  readonly reads: PostgresReadStore;
  readonly groups: PostgresGroupStore;
  readonly files: PostgresFileStore;
  readonly webhooks: PostgresWebhookStore;
  readonly push: PostgresPushStore;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private closing?: Promise<void>;

  constructor(url: string, schema = 'public', opts: PostgresStoreOptions = {}) {
    this.schema = checkSchemaName(schema);
    this.pool = new pg.Pool({ ...connectionWithSchema(url, schema), types, max: opts.max ?? 10 });
    this.pool.on('error', opts.onError ?? (() => {}));
    this.apps = new PostgresAppStore(this.pool);
    this.users = new PostgresUserStore(this.pool);
    this.sessions = new PostgresSessionStore(this.pool);
    this.channels = new PostgresChannelStore(this.pool);
    this.messages = new PostgresMessageStore(this.pool);
    this.reads = new PostgresReadStore(this.pool);
    this.groups = new PostgresGroupStore(this.pool);
    this.files = new PostgresFileStore(this.pool);
    this.webhooks = new PostgresWebhookStore(this.pool);
    this.push = new PostgresPushStore(this.pool);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async migrate(): Promise<void> {
    await migrate(this.pool, this.schema);
  }

  /** Waits for queries in flight, then closes every connection; later calls reject (pool ended). */
  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

/**
 * Sets search_path through the startup `options` (no extra round trip per connection). pg lets a
 * connection string's own `options` override the config field, so when the URL has one we append
 * ours to it there instead.
 */
export function connectionWithSchema(url: string, schema: string): { connectionString: string; options?: string } {
  const ours = `-c search_path=${schema}`;
  let parsed: URL | undefined;
  try { parsed = new URL(url); } catch { parsed = undefined; }
  const prev = parsed?.searchParams.get('options');
  if (parsed && prev) {
    parsed.searchParams.set('options', `${prev} ${ours}`);
    return { connectionString: parsed.toString() };
  }
  const env = process.env.PGOPTIONS;
  return { connectionString: url, options: env ? `${env} ${ours}` : ours };
}
