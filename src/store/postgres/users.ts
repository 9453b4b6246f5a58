import type pg from 'pg';
import type { Page, UserQuery, UserRecord, UserStore } from '../store.ts';
import { conflictAware, inInputOrder, json, tx, uniq, likePrefix, encodeCursor, decodeCursor } from './db.ts';

interface UserRow {
  app_id: string; user_id: string; password_hash: string | null; profile: Record<string, unknown>; private_profile: Record<string, unknown>; created_at: number;
  disabled_at: number | null; deleted_at: number | null;
}

const toUser = (r: UserRow): UserRecord => {
  const u: UserRecord = { appId: r.app_id, userId: r.user_id, passwordHash: r.password_hash, profile: r.profile, privateProfile: r.private_profile, createdAt: r.created_at };
  if (r.disabled_at !== null && r.disabled_at !== undefined) u.disabledAt = r.disabled_at;
  if (r.deleted_at !== null && r.deleted_at !== undefined) u.deletedAt = r.deleted_at;
  return u;
};

/** See UserStore. */
export class PostgresUserStore implements UserStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(u: UserRecord): Promise<void> {
    await conflictAware(this.pool.query(
      'INSERT INTO users (app_id, user_id, password_hash, profile, private_profile, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [u.appId, u.userId, u.passwordHash, json(u.profile ?? {}), json(u.privateProfile ?? {}), u.createdAt],
    ));
  }

  async get(appId: string, userId: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE app_id = $1 AND user_id = $2', [appId, userId]);
    return rows[0] && toUser(rows[0]);
  }

  /** A part not given keeps its value (COALESCE with NULL). */
  async updateProfile(appId: string, userId: string, p: { profile?: Record<string, unknown>; privateProfile?: Record<string, unknown> }): Promise<boolean> {
    const res = await this.pool.query(
      'UPDATE users SET profile = COALESCE($3::json, profile), private_profile = COALESCE($4::json, private_profile) WHERE app_id = $1 AND user_id = $2',
      [appId, userId, p.profile ? json(p.profile) : null, p.privateProfile ? json(p.privateProfile) : null],
    );
    return res.rowCount === 1;
  }

  async search(appId: string, q: UserQuery): Promise<Page<UserRecord>> {
    const where = ['app_id = $1', 'deleted_at IS NULL'];
    const params: unknown[] = [appId];
    const add = (sql: (n: string) => string, v: unknown): void => { params.push(v); where.push(sql(`$${params.length}`)); };
    if (q.prefix) add((n) => `user_id LIKE ${n}`, likePrefix(q.prefix));
    if (q.field !== undefined && q.value !== undefined) {
      params.push(q.field);
      const f = `$${params.length}`;
      add((n) => `${q.private ? 'private_profile' : 'profile'} ->> ${f} = ${n}`, q.value);
    }
    if (q.cursor) add((n) => `user_id > ${n}`, decodeCursor(q.cursor));
    const limit = Math.max(0, Math.floor(q.limit));
    // One extra row tells whether another page exists, so the last page carries no `next`.
    params.push(limit + 1);
    const { rows } = await this.pool.query<UserRow>(
      `SELECT * FROM users WHERE ${where.join(' AND ')} ORDER BY user_id LIMIT $${params.length}`, params,
    );
    const items = rows.slice(0, limit).map(toUser);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, next: encodeCursor(last.userId) } : { items };
  }

  async existing(appId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const { rows } = await this.pool.query<{ user_id: string }>(
      'SELECT user_id FROM users WHERE app_id = $1 AND deleted_at IS NULL AND user_id = ANY($2::text[])', [appId, uniq(userIds)],
    );
    return inInputOrder(userIds, rows.map((r) => r.user_id));
  }

  async setDisabled(appId: string, userId: string, at: number | null): Promise<boolean> {
    const res = await this.pool.query('UPDATE users SET disabled_at = $3 WHERE app_id = $1 AND user_id = $2 AND deleted_at IS NULL', [appId, userId, at]);
    return res.rowCount === 1;
  }

  async setPassword(appId: string, userId: string, passwordHash: string): Promise<boolean> {
    const res = await this.pool.query('UPDATE users SET password_hash = $3 WHERE app_id = $1 AND user_id = $2 AND deleted_at IS NULL', [appId, userId, passwordHash]);
    return res.rowCount === 1;
  }

  /** See UserStore.delete. The tombstone UPDATE locks the user's row, so two deletes run one after the other. */
  async delete(appId: string, userId: string, at: number): Promise<boolean> {
    return tx(this.pool, async (c) => {
      const res = await c.query(
        `UPDATE users SET deleted_at = $3, disabled_at = NULL, password_hash = NULL, profile = '{}', private_profile = '{}'
         WHERE app_id = $1 AND user_id = $2 AND deleted_at IS NULL`,
        [appId, userId, at],
      );
      if (res.rowCount !== 1) return false;
      await c.query('DELETE FROM refresh_rotations WHERE app_id = $1 AND session_id IN (SELECT id FROM sessions WHERE app_id = $1 AND user_id = $2)', [appId, userId]);
      await c.query('UPDATE sessions SET revoked_at = COALESCE(revoked_at, $3) WHERE app_id = $1 AND user_id = $2', [appId, userId, at]);
      for (const sql of [
        'DELETE FROM channel_members WHERE app_id = $1 AND user_id = $2',
        'DELETE FROM read_positions WHERE app_id = $1 AND user_id = $2',
        'DELETE FROM user_groups WHERE app_id = $1 AND (owner_id = $2 OR user_id = $2)',
      ]) await c.query(sql, [appId, userId]);
      return true;
    });
  }
}
