import type pg from 'pg';
import type { ReadPosition, ReadStore } from '../store.ts';

/** See ReadStore. Unread = top_offset - read_offset: offsets are gap-free, so no message count is needed. */
export class PostgresReadStore implements ReadStore {
  constructor(private readonly pool: pg.Pool) {}

  async markRead(appId: string, userId: string, channel: string, offset: number): Promise<number> {
    // Clamped to the channel top (a position past it would hide the next messages from the unread
    // count) and only for an existing channel (a stray row would pre-mark a later channel of that
    // name). GREATEST keeps it forward-only even when two devices mark at once.
    const { rows } = await this.pool.query<{ read_offset: number }>(
      `INSERT INTO read_positions (app_id, user_id, channel, read_offset)
       SELECT c.app_id, $2, c.name, LEAST($4::bigint, c.top_offset) FROM channels c WHERE c.app_id = $1 AND c.name = $3
       ON CONFLICT (app_id, user_id, channel) DO UPDATE SET read_offset = GREATEST(read_positions.read_offset, EXCLUDED.read_offset)
       RETURNING read_offset`,
      [appId, userId, channel, offset],
    );
    return rows[0]?.read_offset ?? 0;
  }

  async positions(appId: string, userId: string): Promise<ReadPosition[]> {
    const { rows } = await this.pool.query<{ channel: string; read_offset: number; top_offset: number }>(
      `SELECT c.name AS channel, COALESCE(r.read_offset, 0) AS read_offset, c.top_offset
       FROM channel_members m
       JOIN channels c ON c.app_id = m.app_id AND c.name = m.channel
       LEFT JOIN read_positions r ON r.app_id = m.app_id AND r.user_id = m.user_id AND r.channel = m.channel
       WHERE m.app_id = $1 AND m.user_id = $2 ORDER BY c.name`,
      [appId, userId],
    );
    return rows.map((r) => ({
      channel: r.channel, readOffset: r.read_offset, topOffset: r.top_offset,
      unread: Math.max(0, r.top_offset - r.read_offset),
    }));
  }

  async get(appId: string, userId: string, channel: string): Promise<number> {
    const { rows } = await this.pool.query<{ read_offset: number }>(
      'SELECT read_offset FROM read_positions WHERE app_id = $1 AND user_id = $2 AND channel = $3', [appId, userId, channel],
    );
    return rows[0]?.read_offset ?? 0;
  }
}
