import type pg from 'pg';
import { membersLimit, type ChannelKind, type ChannelRecord, type ChannelStore, type ChannelType, type Page, type Retention } from '../store.ts';
import { inInputOrder, json, tx, uniq, likePrefix, encodeCursor, decodeCursor } from './db.ts';

export interface ChannelRow {
  app_id: string; name: string; type: ChannelType; data: unknown; owner_id: string | null;
  epoch: string; top_offset: number; created_at: number;
  kind: ChannelKind; cache_size: number | null; retain_age_sec: number | null; retain_count: number | null; trim_offset: number;
}

export const toChannel = (r: ChannelRow): ChannelRecord => ({
  appId: r.app_id, name: r.name, type: r.type, data: r.data, ownerId: r.owner_id,
  epoch: r.epoch, topOffset: r.top_offset, createdAt: r.created_at,
  kind: r.kind,
  ...(r.cache_size !== null ? { cacheSize: r.cache_size } : {}),
  ...(retentionOf(r) ? { retention: retentionOf(r) } : {}),
  trimOffset: r.trim_offset,
});

function retentionOf(r: { retain_age_sec: number | null; retain_count: number | null }): Retention | undefined {
  if (r.retain_age_sec === null && r.retain_count === null) return undefined;
  return { ...(r.retain_age_sec !== null ? { maxAgeSec: r.retain_age_sec } : {}), ...(r.retain_count !== null ? { maxCount: r.retain_count } : {}) };
}

/** Tables keyed by (app_id, channel) that go with the channel when it is deleted. */
const CHANNEL_OWNED = ['channel_members', 'messages', 'read_positions', 'files'];

/** See ChannelStore. */
export class PostgresChannelStore implements ChannelStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(ch: ChannelRecord, members: string[]): Promise<void> {
    await tx(this.pool, async (c) => {
      await c.query(
        `INSERT INTO channels (app_id, name, type, data, owner_id, epoch, top_offset, created_at, kind, cache_size, retain_age_sec, retain_count, trim_offset)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [ch.appId, ch.name, ch.type, json(ch.data), ch.ownerId, ch.epoch, ch.topOffset ?? 0, ch.createdAt,
          ch.kind, ch.cacheSize ?? null, ch.retention?.maxAgeSec ?? null, ch.retention?.maxCount ?? null, ch.trimOffset ?? 0],
      );
      if (members.length > 0) {
        await c.query(
          `INSERT INTO channel_members (app_id, channel, user_id, added_at)
           SELECT $1, $2, u, $4 FROM unnest($3::text[]) AS u ON CONFLICT DO NOTHING`,
          [ch.appId, ch.name, uniq(members), ch.createdAt],
        );
      }
    });
  }

  async get(appId: string, name: string): Promise<ChannelRecord | undefined> {
    const { rows } = await this.pool.query<ChannelRow>('SELECT * FROM channels WHERE app_id = $1 AND name = $2', [appId, name]);
    return rows[0] && toChannel(rows[0]);
  }

  async updateData(appId: string, name: string, data: unknown): Promise<boolean> {
    const res = await this.pool.query('UPDATE channels SET data = $3 WHERE app_id = $1 AND name = $2', [appId, name, json(data)]);
    return res.rowCount === 1;
  }

  async delete(appId: string, name: string): Promise<boolean> {
    return tx(this.pool, async (c) => {
      // Delete the channel row first: it takes the row lock appenders take, so no append can slip
      // a message in between our deletes.
      const res = await c.query('DELETE FROM channels WHERE app_id = $1 AND name = $2', [appId, name]);
      for (const table of CHANNEL_OWNED) await c.query(`DELETE FROM ${table} WHERE app_id = $1 AND channel = $2`, [appId, name]);
      return res.rowCount === 1;
    });
  }

  async addMembers(appId: string, name: string, userIds: string[], at: number, max?: number): Promise<string[]> {
    if (userIds.length === 0) return [];
    if (max !== undefined) return this.addCapped(appId, name, userIds, at, max);
    // Only into an existing channel: a missing channel adds nobody (not-found is [], not an error).
    // KEY SHARE waits for a concurrent delete of the channel (and then sees it gone) but not for
    // appenders, whose NO KEY UPDATE lock it does not conflict with.
    const { rows } = await this.pool.query<{ user_id: string }>(
      `INSERT INTO channel_members (app_id, channel, user_id, added_at)
       SELECT $1, $2, u, $4 FROM unnest($3::text[]) AS u
       WHERE EXISTS (SELECT 1 FROM channels WHERE app_id = $1 AND name = $2 FOR KEY SHARE)
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [appId, name, uniq(userIds), at],
    );
    return inInputOrder(userIds, rows.map((r) => r.user_id));
  }

  /**
   * addMembers with a cap: a transaction-scoped advisory lock per channel makes concurrent adders of
   * one channel count one after the other (appenders take no such lock, so publishing is not held up).
   */
  private async addCapped(appId: string, name: string, userIds: string[], at: number, max: number): Promise<string[]> {
    return tx(this.pool, async (c) => {
      // A hash collision only makes two channels' adders wait for each other, never miscount.
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('xpush.members:' || $1), hashtext($2))`, [appId, name]);
      const { rows: [n] } = await c.query<{ count: number; present: number }>(
        `SELECT count(*)::int AS count, count(*) FILTER (WHERE user_id = ANY($3::text[]))::int AS present
         FROM channel_members WHERE app_id = $1 AND channel = $2`,
        [appId, name, uniq(userIds)],
      );
      const fresh = uniq(userIds).length - n!.present;
      if (fresh > 0 && n!.count + fresh > max) throw membersLimit(max, n!.count, fresh);
      const { rows } = await c.query<{ user_id: string }>(
        `INSERT INTO channel_members (app_id, channel, user_id, added_at)
         SELECT $1, $2, u, $4 FROM unnest($3::text[]) AS u
         WHERE EXISTS (SELECT 1 FROM channels WHERE app_id = $1 AND name = $2 FOR KEY SHARE)
         ON CONFLICT DO NOTHING RETURNING user_id`,
        [appId, name, uniq(userIds), at],
      );
      return inInputOrder(userIds, rows.map((r) => r.user_id));
    });
  }

  async removeMembers(appId: string, name: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    return tx(this.pool, async (c) => {
      const { rows } = await c.query<{ user_id: string }>(
        'DELETE FROM channel_members WHERE app_id = $1 AND channel = $2 AND user_id = ANY($3::text[]) RETURNING user_id',
        [appId, name, uniq(userIds)],
      );
      const removed = inInputOrder(userIds, rows.map((r) => r.user_id));
      if (removed.length > 0) {
        await c.query(
          'DELETE FROM read_positions WHERE app_id = $1 AND channel = $2 AND user_id = ANY($3::text[])', [appId, name, removed],
        );
      }
      return removed;
    });
  }

  async isMember(appId: string, name: string, userId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM channel_members WHERE app_id = $1 AND channel = $2 AND user_id = $3', [appId, name, userId],
    );
    return rowCount === 1;
  }

  async members(appId: string, name: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ user_id: string }>(
      'SELECT user_id FROM channel_members WHERE app_id = $1 AND channel = $2 ORDER BY user_id', [appId, name],
    );
    return rows.map((r) => r.user_id);
  }

  async listForUser(appId: string, userId: string): Promise<ChannelRecord[]> {
    const { rows } = await this.pool.query<ChannelRow>(
      `SELECT c.* FROM channel_members m JOIN channels c ON c.app_id = m.app_id AND c.name = m.channel
       WHERE m.app_id = $1 AND m.user_id = $2 ORDER BY c.name`,
      [appId, userId],
    );
    return rows.map(toChannel);
  }

  async retained(): Promise<{ appId: string; name: string; retention: Retention }[]> {
    const { rows } = await this.pool.query<ChannelRow>('SELECT * FROM channels WHERE retain_age_sec IS NOT NULL OR retain_count IS NOT NULL');
    return rows.map((r) => ({ appId: r.app_id, name: r.name, retention: retentionOf(r)! }));
  }

  async list(appId: string, q: { prefix?: string; limit: number; cursor?: string }): Promise<Page<ChannelRecord>> {
    const where = ['app_id = $1'];
    const params: unknown[] = [appId];
    const add = (sql: (n: string) => string, v: unknown): void => { params.push(v); where.push(sql(`$${params.length}`)); };
    if (q.prefix) add((n) => `name LIKE ${n}`, likePrefix(q.prefix));
    if (q.cursor) add((n) => `name > ${n}`, decodeCursor(q.cursor));
    const limit = Math.max(0, Math.floor(q.limit));
    params.push(limit + 1); // one extra row tells whether another page exists
    const { rows } = await this.pool.query<ChannelRow>(`SELECT * FROM channels WHERE ${where.join(' AND ')} ORDER BY name LIMIT $${params.length}`, params);
    const items = rows.slice(0, limit).map(toChannel);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, next: encodeCursor(last.name) } : { items };
  }
}
