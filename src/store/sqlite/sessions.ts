import { Errors } from '../../errors.ts';
import type { SessionRecord, SessionStore } from '../store.ts';
import type { Statements } from './db.ts';

interface SessionRow {
  app_id: string;
  id: string;
  user_id: string;
  device_id: string;
  push_token: string | null;
  refresh_hash: string;
  created_at: number;
  refreshed_at: number;
  expires_at: number;
  revoked_at: number | null;
}

const COLS = 'app_id, id, user_id, device_id, push_token, refresh_hash, created_at, refreshed_at, expires_at, revoked_at';

/** See SessionStore (src/store/store.ts). */
export class SqliteSessionStore implements SessionStore {
  constructor(private readonly q: Statements) {}

  async create(s: SessionRecord): Promise<void> {
    const r = this.q
      .get(`INSERT INTO sessions (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(s.appId, s.id, s.userId, s.deviceId, s.pushToken, s.refreshHash, s.createdAt, s.refreshedAt, s.expiresAt, s.revokedAt);
    if (r.changes === 0) throw Errors.conflict.with(`session ${s.id} already exists`);
  }

  async get(appId: string, sessionId: string): Promise<SessionRecord | undefined> {
    const row = this.q.get(`SELECT ${COLS} FROM sessions WHERE app_id = ? AND id = ?`).get(appId, sessionId) as SessionRow | undefined;
    return row && toSession(row);
  }

  async findByRefreshHash(appId: string, refreshHash: string): Promise<SessionRecord | undefined> {
    const row = this.q.get(`SELECT ${COLS} FROM sessions WHERE app_id = ? AND refresh_hash = ? LIMIT 1`).get(appId, refreshHash) as
      | SessionRow
      | undefined;
    return row && toSession(row);
  }

  /** One conditional UPDATE decides which of two racing refreshes wins; the bookkeeping shares its transaction. */
  async rotate(appId: string, sessionId: string, oldHash: string, newHash: string, refreshedAt: number, expiresAt: number): Promise<boolean> {
    return this.q.db.transaction(() => {
      const r = this.q
        .get('UPDATE sessions SET refresh_hash = ?, refreshed_at = ?, expires_at = ? WHERE app_id = ? AND id = ? AND refresh_hash = ?')
        .run(newHash, refreshedAt, expiresAt, appId, sessionId, oldHash);
      if (r.changes === 0) return false;
      this.q.get('INSERT INTO refresh_rotations (app_id, refresh_hash, session_id, rotated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
        .run(appId, oldHash, sessionId, refreshedAt);
      this.q.get('DELETE FROM refresh_rotations WHERE app_id = ? AND session_id = ? AND rotated_at < ?')
        .run(appId, sessionId, refreshedAt - (expiresAt - refreshedAt));
      return true;
    }).immediate();
  }

  async findRotated(appId: string, refreshHash: string): Promise<{ sessionId: string; rotatedAt: number } | undefined> {
    const row = this.q.get('SELECT session_id, rotated_at FROM refresh_rotations WHERE app_id = ? AND refresh_hash = ?').get(appId, refreshHash) as
      | { session_id: string; rotated_at: number }
      | undefined;
    return row && { sessionId: row.session_id, rotatedAt: row.rotated_at };
  }

  /** Keeps the first revocation time if the session was already revoked. */
  async revoke(appId: string, sessionId: string, at: number): Promise<boolean> {
    return this.q.db.transaction(() => {
      const r = this.q.get('UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE app_id = ? AND id = ?').run(at, appId, sessionId);
      this.q.get('DELETE FROM refresh_rotations WHERE app_id = ? AND session_id = ?').run(appId, sessionId);
      return r.changes > 0;
    }).immediate();
  }

  async listForUser(appId: string, userId: string, now: number): Promise<SessionRecord[]> {
    const rows = this.q
      .get(`SELECT ${COLS} FROM sessions WHERE app_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at, id`)
      .all(appId, userId, now) as SessionRow[];
    return rows.map(toSession);
  }

  async revokeForUser(appId: string, userId: string, at: number, keep?: string): Promise<string[]> {
    return this.q.db.transaction(() => {
      const ids = this.q
        .get('SELECT id FROM sessions WHERE app_id = ? AND user_id = ? AND revoked_at IS NULL AND id IS NOT ? ORDER BY created_at, id')
        .pluck()
        .all(appId, userId, keep ?? null) as string[];
      const revoke = this.q.get('UPDATE sessions SET revoked_at = ? WHERE app_id = ? AND id = ?');
      const forget = this.q.get('DELETE FROM refresh_rotations WHERE app_id = ? AND session_id = ?');
      for (const id of ids) {
        revoke.run(at, appId, id);
        forget.run(appId, id);
      }
      return ids;
    }).immediate();
  }
}

function toSession(r: SessionRow): SessionRecord {
  return {
    id: r.id,
    appId: r.app_id,
    userId: r.user_id,
    deviceId: r.device_id,
    pushToken: r.push_token,
    refreshHash: r.refresh_hash,
    createdAt: r.created_at,
    refreshedAt: r.refreshed_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}
