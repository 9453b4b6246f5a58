import type pg from 'pg';
import type { AppRecord, AppStore } from '../store.ts';
import { conflictAware, json, tx } from './db.ts';
import { withDefaults, type AppSettings } from '../../protocol/app-settings.ts';

/** Tables holding rows owned by an app; deleting an app clears each of them. */
const OWNED = ['users', 'sessions', 'refresh_rotations', 'channel_members', 'messages', 'read_positions', 'user_groups', 'files', 'channels',
  'webhook_queue', 'webhook_deliveries', 'push_targets', 'push_modes', 'push_credentials', 'push_outbox'];

interface AppRow { id: string; name: string; key: string; secret: string; settings: unknown; created_at: number }

const toApp = (r: AppRow): AppRecord => ({ id: r.id, name: r.name, key: r.key, secret: r.secret, settings: withDefaults(r.settings), createdAt: r.created_at });

/** See AppStore. */
export class PostgresAppStore implements AppStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(app: AppRecord): Promise<void> {
    await conflictAware(this.pool.query(
      'INSERT INTO apps (id, name, key, secret, settings, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [app.id, app.name, app.key, app.secret, json(app.settings ?? {}), app.createdAt],
    ));
  }

  async get(appId: string): Promise<AppRecord | undefined> {
    const { rows } = await this.pool.query<AppRow>('SELECT * FROM apps WHERE id = $1', [appId]);
    return rows[0] && toApp(rows[0]);
  }

  async list(): Promise<AppRecord[]> {
    const { rows } = await this.pool.query<AppRow>('SELECT * FROM apps ORDER BY created_at, id');
    return rows.map(toApp);
  }

  async updateSettings(appId: string, settings: AppSettings): Promise<boolean> {
    const res = await this.pool.query('UPDATE apps SET settings = $2 WHERE id = $1', [appId, json(settings)]);
    return res.rowCount === 1;
  }

  async updateSecret(appId: string, secret: string): Promise<boolean> {
    const res = await this.pool.query('UPDATE apps SET secret = $2 WHERE id = $1', [appId, secret]);
    return res.rowCount === 1;
  }

  async delete(appId: string): Promise<boolean> {
    return tx(this.pool, async (c) => {
      for (const table of OWNED) await c.query(`DELETE FROM ${table} WHERE app_id = $1`, [appId]);
      const res = await c.query('DELETE FROM apps WHERE id = $1', [appId]);
      return res.rowCount === 1;
    });
  }
}
