import type pg from 'pg';
import type { SessionRecord, SessionStore } from '../store.ts';
import { conflictAware } from './db.ts';

interface SessionRow {
  id: string; app_id: string; user_id: string; device_id: string; push_token: string | null; refresh_hash: string;
  created_at: number; refreshed_at: number; expires_at: number; revoked_at: number | null;
}

const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id, appId: r.app_id, userId: r.user_id, deviceId: r.device_id, pushToken: r.push_token,
  refreshHash: r.refresh_hash, createdAt: r.created_at, refreshedAt: r.refreshed_at, expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

/** See SessionStore. */
export class PostgresSessionStore implements SessionStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(s: SessionRecord): Promise<void> {
    await conflictAware(this.pool.query(
      `INSERT INTO sessions (app_id, id, user_id, device_id, push_token, refresh_hash, created_at, refreshed_at, expires_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [s.appId, s.id, s.userId, s.deviceId, s.pushToken, s.refreshHash, s.createdAt, s.refreshedAt, s.expiresAt, s.revokedAt],
    ));
  }

  async get(appId: string, sessionId: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<SessionRow>('SELECT * FROM sessions WHERE app_id = $1 AND id = $2', [appId, sessionId]);
    return rows[0] && toSession(rows[0]);
  }

  async findByRefreshHash(appId: string, refreshHash: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<SessionRow>(
      'SELECT * FROM sessions WHERE app_id = $1 AND refresh_hash = $2 LIMIT 1', [appId, refreshHash],
    );
    return rows[0] && toSession(rows[0]);
  }

  async rotate(appId: string, sessionId: string, oldHash: string, newHash: string, refreshedAt: number, expiresAt: number): Promise<boolean> {
    // One statement: the compare-and-swap UPDATE (of two refreshes racing with the same token, one
    // matches) and, only if it matched, remembering the spent hash and forgetting stale ones.
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH u AS (
         UPDATE sessions SET refresh_hash = $4, refreshed_at = $5, expires_at = $6
         WHERE app_id = $1 AND id = $2 AND refresh_hash = $3 RETURNING id
       ), spent AS (
         INSERT INTO refresh_rotations (app_id, refresh_hash, session_id, rotated_at)
         SELECT $1, $3, u.id, $5 FROM u ON CONFLICT DO NOTHING
       ), stale AS (
         DELETE FROM refresh_rotations
         WHERE app_id = $1 AND session_id = $2 AND rotated_at < $7 AND EXISTS (SELECT 1 FROM u)
       )
       SELECT count(*)::int AS n FROM u`,
      [appId, sessionId, oldHash, newHash, refreshedAt, expiresAt, refreshedAt - (expiresAt - refreshedAt)],
    );
    return rows[0]!.n === 1;
  }

  async findRotated(appId: string, refreshHash: string): Promise<{ sessionId: string; rotatedAt: number } | undefined> {
    const { rows } = await this.pool.query<{ session_id: string; rotated_at: number }>(
      'SELECT session_id, rotated_at FROM refresh_rotations WHERE app_id = $1 AND refresh_hash = $2', [appId, refreshHash],
    );
    return rows[0] && { sessionId: rows[0].session_id, rotatedAt: rows[0].rotated_at };
  }

  async revoke(appId: string, sessionId: string, at: number): Promise<boolean> {
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH r AS (
         UPDATE sessions SET revoked_at = COALESCE(revoked_at, $3) WHERE app_id = $1 AND id = $2 RETURNING id
       ), spent AS (
         DELETE FROM refresh_rotations WHERE app_id = $1 AND session_id = $2
       )
       SELECT count(*)::int AS n FROM r`,
      [appId, sessionId, at],
    );
    return rows[0]!.n === 1;
  }

  async listForUser(appId: string, userId: string, now: number): Promise<SessionRecord[]> {
    const { rows } = await this.pool.query<SessionRow>(
      `SELECT * FROM sessions WHERE app_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3
       ORDER BY created_at, id`,
      [appId, userId, now],
    );
    return rows.map(toSession);
  }

  async revokeForUser(appId: string, userId: string, at: number, keep?: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string; created_at: number }>(
      `WITH r AS (
         UPDATE sessions SET revoked_at = $3
         WHERE app_id = $1 AND user_id = $2 AND revoked_at IS NULL AND id IS DISTINCT FROM $4 RETURNING id, created_at
       ), spent AS (
         DELETE FROM refresh_rotations WHERE app_id = $1 AND session_id IN (SELECT id FROM r)
       )
       SELECT id, created_at FROM r ORDER BY created_at, id`,
      [appId, userId, at, keep ?? null],
    );
    return rows.map((r) => r.id);
  }
}
