import type pg from 'pg';
import type { GroupStore } from '../store.ts';
import { inInputOrder, uniq } from './db.ts';

/** See GroupStore. A group exists while it has members: it is just the rows that name it. */
export class PostgresGroupStore implements GroupStore {
  constructor(private readonly pool: pg.Pool) {}

  async add(appId: string, ownerId: string, group: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const { rows } = await this.pool.query<{ user_id: string }>(
      `INSERT INTO user_groups (app_id, owner_id, grp, user_id) SELECT $1, $2, $3, u FROM unnest($4::text[]) AS u
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [appId, ownerId, group, uniq(userIds)],
    );
    return inInputOrder(userIds, rows.map((r) => r.user_id));
  }

  async remove(appId: string, ownerId: string, group: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const { rows } = await this.pool.query<{ user_id: string }>(
      'DELETE FROM user_groups WHERE app_id = $1 AND owner_id = $2 AND grp = $3 AND user_id = ANY($4::text[]) RETURNING user_id',
      [appId, ownerId, group, uniq(userIds)],
    );
    return inInputOrder(userIds, rows.map((r) => r.user_id));
  }

  async members(appId: string, ownerId: string, group: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ user_id: string }>(
      'SELECT user_id FROM user_groups WHERE app_id = $1 AND owner_id = $2 AND grp = $3 ORDER BY user_id', [appId, ownerId, group],
    );
    return rows.map((r) => r.user_id);
  }

  async list(appId: string, ownerId: string): Promise<{ group: string; size: number }[]> {
    const { rows } = await this.pool.query<{ grp: string; size: number }>(
      'SELECT grp, count(*) AS size FROM user_groups WHERE app_id = $1 AND owner_id = $2 GROUP BY grp ORDER BY grp', [appId, ownerId],
    );
    return rows.map((r) => ({ group: r.grp, size: r.size }));
  }
}
