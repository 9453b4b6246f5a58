import { Errors } from '../../errors.ts';
import type { AppRecord, AppStore } from '../store.ts';
import type { Statements } from './db.ts';
import { withDefaults, type AppSettings } from '../../protocol/app-settings.ts';

interface AppRow {
  id: string;
  name: string;
  key: string;
  secret: string;
  settings: string;
  created_at: number;
}

const COLS = 'id, name, key, secret, settings, created_at';

/** See AppStore (src/store/store.ts). */
export class SqliteAppStore implements AppStore {
  constructor(private readonly q: Statements) {}

  async create(app: AppRecord): Promise<void> {
    const r = this.q
      .get(`INSERT INTO apps (${COLS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(app.id, app.name, app.key, app.secret, JSON.stringify(app.settings ?? {}), app.createdAt);
    if (r.changes === 0) throw Errors.conflict.with(`app ${app.id} (or its key) already exists`);
  }

  async get(appId: string): Promise<AppRecord | undefined> {
    const row = this.q.get(`SELECT ${COLS} FROM apps WHERE id = ?`).get(appId) as AppRow | undefined;
    return row && toApp(row);
  }

  async list(): Promise<AppRecord[]> {
    return (this.q.get(`SELECT ${COLS} FROM apps ORDER BY id`).all() as AppRow[]).map(toApp);
  }

  async updateSettings(appId: string, settings: AppSettings): Promise<boolean> {
    return this.q.get('UPDATE apps SET settings = ? WHERE id = ?').run(JSON.stringify(settings), appId).changes > 0;
  }

  async updateSecret(appId: string, secret: string): Promise<boolean> {
    return this.q.get('UPDATE apps SET secret = ? WHERE id = ?').run(secret, appId).changes > 0;
  }

  /** One transaction over every table that holds app rows (there are no FK cascades). */
  async delete(appId: string): Promise<boolean> {
    return this.q.db.transaction(() => {
      const gone = this.q.get('DELETE FROM apps WHERE id = ?').run(appId).changes > 0;
      for (const table of ['users', 'sessions', 'channels', 'channel_members', 'messages', 'read_positions', 'user_groups', 'refresh_rotations',
        'files', 'webhook_queue', 'webhook_deliveries', 'push_targets', 'push_modes', 'push_credentials', 'push_outbox']) {
        this.q.get(`DELETE FROM ${table} WHERE app_id = ?`).run(appId);
      }
      return gone;
    }).immediate();
  }
}

function toApp(r: AppRow): AppRecord {
  return { id: r.id, name: r.name, key: r.key, secret: r.secret, settings: withDefaults(JSON.parse(r.settings)), createdAt: r.created_at };
}
