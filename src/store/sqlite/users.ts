import { Errors } from '../../errors.ts';
import type { Page, UserQuery, UserRecord, UserStore } from '../store.ts';
import { uniq, encodeCursor, decodeCursor, prefixUpperBound, type Statements } from './db.ts';

interface UserRow {
  app_id: string;
  user_id: string;
  password_hash: string | null;
  profile: string;
  private_profile: string;
  created_at: number;
  disabled_at: number | null;
  deleted_at: number | null;
}

const COLS = 'app_id, user_id, password_hash, profile, private_profile, created_at';
const READ_COLS = `${COLS}, disabled_at, deleted_at`;

/** See UserStore (src/store/store.ts). */
export class SqliteUserStore implements UserStore {
  constructor(private readonly q: Statements) {}

  async create(u: UserRecord): Promise<void> {
    const r = this.q
      .get(`INSERT INTO users (${COLS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(u.appId, u.userId, u.passwordHash, JSON.stringify(u.profile ?? {}), JSON.stringify(u.privateProfile ?? {}), u.createdAt);
    if (r.changes === 0) throw Errors.conflict.with(`user ${u.userId} already exists`);
  }

  async get(appId: string, userId: string): Promise<UserRecord | undefined> {
    const row = this.q.get(`SELECT ${READ_COLS} FROM users WHERE app_id = ? AND user_id = ?`).get(appId, userId) as UserRow | undefined;
    return row && toUser(row);
  }

  /** A part not given keeps its value (COALESCE with NULL). */
  async updateProfile(appId: string, userId: string, p: { profile?: Record<string, unknown>; privateProfile?: Record<string, unknown> }): Promise<boolean> {
    const r = this.q
      .get('UPDATE users SET profile = COALESCE(?, profile), private_profile = COALESCE(?, private_profile) WHERE app_id = ? AND user_id = ?')
      .run(p.profile ? JSON.stringify(p.profile) : null, p.privateProfile ? JSON.stringify(p.privateProfile) : null, appId, userId);
    return r.changes > 0;
  }

  /**
   * Keyset paging on the primary key: the cursor is the last userId of the page. A prefix becomes a
   * key range [prefix, upper) so the scan stops at the end of the prefix; the exact substr check
   * keeps the match literal. A profile field cannot be indexed in general: those rows are filtered
   * while walking the app's users in key order, which stays bounded by `limit` matches.
   */
  async search(appId: string, q: UserQuery): Promise<Page<UserRecord>> {
    const where = ['app_id = ?', 'deleted_at IS NULL'];
    const args: unknown[] = [appId];
    if (q.cursor !== undefined) {
      where.push('user_id > ?');
      args.push(decodeCursor(q.cursor));
    }
    if (q.prefix) {
      where.push('user_id >= ?', 'substr(user_id, 1, length(?)) = ?');
      args.push(q.prefix, q.prefix, q.prefix);
      const upper = prefixUpperBound(q.prefix);
      if (upper !== undefined) {
        where.push('user_id < ?');
        args.push(upper);
      }
    }
    if (q.field !== undefined && q.value !== undefined) {
      // Compared as text: strings by their value; numbers and booleans by their JSON spelling ("30",
      // "true"), the same as PostgreSQL's ->> operator.
      const p = jsonPath(q.field);
      const col = q.private ? 'private_profile' : 'profile';
      where.push(`(CASE json_type(${col}, ?) WHEN 'text' THEN json_extract(${col}, ?) ELSE ${col} -> ? END) = ?`);
      args.push(p, p, p, q.value);
    }
    const limit = Math.max(0, Math.floor(q.limit));
    args.push(limit + 1);
    const sql = `SELECT ${READ_COLS} FROM users WHERE ${where.join(' AND ')} ORDER BY user_id LIMIT ?`;
    const rows = this.q.get(sql).all(...args) as UserRow[];
    const items = rows.slice(0, limit).map(toUser);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, next: encodeCursor(last.userId) } : { items };
  }

  async existing(appId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const ids = uniq(userIds);
    const found = this.q
      .get('SELECT user_id FROM users WHERE app_id = ? AND deleted_at IS NULL AND user_id IN (SELECT value FROM json_each(?))')
      .pluck()
      .all(appId, JSON.stringify(ids)) as string[];
    const set = new Set(found);
    return ids.filter((id) => set.has(id));
  }

  async setDisabled(appId: string, userId: string, at: number | null): Promise<boolean> {
    return this.q.get('UPDATE users SET disabled_at = ? WHERE app_id = ? AND user_id = ? AND deleted_at IS NULL').run(at, appId, userId).changes > 0;
  }

  async setPassword(appId: string, userId: string, passwordHash: string): Promise<boolean> {
    return this.q.get('UPDATE users SET password_hash = ? WHERE app_id = ? AND user_id = ? AND deleted_at IS NULL').run(passwordHash, appId, userId).changes > 0;
  }

  /** See UserStore.delete: one IMMEDIATE transaction over every table holding the user's rows. */
  async delete(appId: string, userId: string, at: number): Promise<boolean> {
    return this.q.db.transaction(() => {
      const r = this.q
        .get(`UPDATE users SET deleted_at = ?, disabled_at = NULL, password_hash = NULL, profile = '{}', private_profile = '{}'
              WHERE app_id = ? AND user_id = ? AND deleted_at IS NULL`)
        .run(at, appId, userId);
      if (r.changes === 0) return false;
      this.q.get(`DELETE FROM refresh_rotations WHERE app_id = ? AND session_id IN
                  (SELECT id FROM sessions WHERE app_id = ? AND user_id = ?)`).run(appId, appId, userId);
      this.q.get('UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE app_id = ? AND user_id = ?').run(at, appId, userId);
      this.q.get('DELETE FROM channel_members INDEXED BY channel_members_user WHERE app_id = ? AND user_id = ?').run(appId, userId);
      this.q.get('DELETE FROM read_positions WHERE app_id = ? AND user_id = ?').run(appId, userId);
      this.q.get('DELETE FROM user_groups WHERE app_id = ? AND owner_id = ?').run(appId, userId);
      this.q.get('DELETE FROM user_groups WHERE app_id = ? AND user_id = ?').run(appId, userId);
      return true;
    }).immediate();
  }
}

function toUser(r: UserRow): UserRecord {
  const u: UserRecord = { appId: r.app_id, userId: r.user_id, passwordHash: r.password_hash, profile: JSON.parse(r.profile), privateProfile: JSON.parse(r.private_profile), createdAt: r.created_at };
  if (r.disabled_at !== null) u.disabledAt = r.disabled_at;
  if (r.deleted_at !== null) u.deletedAt = r.deleted_at;
  return u;
}

/** A JSON path naming one top-level key literally, whatever characters it contains. */
function jsonPath(field: string): string {
  return `$."${field.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
