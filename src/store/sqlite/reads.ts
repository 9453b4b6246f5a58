import type { ReadPosition, ReadStore } from '../store.ts';
import type { Statements } from './db.ts';

/** See ReadStore (src/store/store.ts). */
export class SqliteReadStore implements ReadStore {
  constructor(private readonly q: Statements) {}

  /**
   * One statement: the position is clamped to [0, channel top] (offsets past the top would make
   * unread counts negative later), moves forward only, and nothing is stored for an unknown channel.
   */
  async markRead(appId: string, userId: string, channel: string, offset: number): Promise<number> {
    const stored = this.q
      .get(
        `INSERT INTO read_positions (app_id, user_id, channel, read_offset)
         SELECT app_id, ?, name, max(0, min(?, top_offset)) FROM channels WHERE app_id = ? AND name = ?
         ON CONFLICT (app_id, user_id, channel) DO UPDATE SET read_offset = max(read_offset, excluded.read_offset)
         RETURNING read_offset`,
      )
      .pluck()
      .get(userId, Math.floor(offset), appId, channel) as number | undefined;
    return stored ?? 0;
  }

  /** Offsets are gap-free, so unread is top - read: one indexed join, no message counting. */
  async positions(appId: string, userId: string): Promise<ReadPosition[]> {
    const rows = this.q
      .get(
        `SELECT m.channel AS channel, COALESCE(r.read_offset, 0) AS readOffset, c.top_offset AS topOffset
         FROM channel_members m
         JOIN channels c ON c.app_id = m.app_id AND c.name = m.channel
         LEFT JOIN read_positions r ON r.app_id = m.app_id AND r.user_id = m.user_id AND r.channel = m.channel
         WHERE m.app_id = ? AND m.user_id = ? ORDER BY m.channel`,
      )
      .all(appId, userId) as Omit<ReadPosition, 'unread'>[];
    return rows.map((r) => ({ ...r, unread: Math.max(0, r.topOffset - r.readOffset) }));
  }

  async get(appId: string, userId: string, channel: string): Promise<number> {
    const v = this.q
      .get('SELECT read_offset FROM read_positions WHERE app_id = ? AND user_id = ? AND channel = ?')
      .pluck()
      .get(appId, userId, channel) as number | undefined;
    return v ?? 0;
  }
}
