import type { GroupStore } from '../store.ts';
import { uniq, type Statements } from './db.ts';

/** See GroupStore (src/store/store.ts). A group exists while it has members: rows are the groups. */
export class SqliteGroupStore implements GroupStore {
  constructor(private readonly q: Statements) {}

  async add(appId: string, ownerId: string, group: string, userIds: string[]): Promise<string[]> {
    return this.q.db.transaction(() => {
      const ins = this.q.get('INSERT INTO user_groups (app_id, owner_id, grp, user_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
      return uniq(userIds).filter((id) => ins.run(appId, ownerId, group, id).changes > 0);
    }).immediate();
  }

  async remove(appId: string, ownerId: string, group: string, userIds: string[]): Promise<string[]> {
    return this.q.db.transaction(() => {
      const del = this.q.get('DELETE FROM user_groups WHERE app_id = ? AND owner_id = ? AND grp = ? AND user_id = ?');
      return uniq(userIds).filter((id) => del.run(appId, ownerId, group, id).changes > 0);
    }).immediate();
  }

  async members(appId: string, ownerId: string, group: string): Promise<string[]> {
    return this.q
      .get('SELECT user_id FROM user_groups WHERE app_id = ? AND owner_id = ? AND grp = ? ORDER BY user_id')
      .pluck()
      .all(appId, ownerId, group) as string[];
  }

  async list(appId: string, ownerId: string): Promise<{ group: string; size: number }[]> {
    return this.q
      .get('SELECT grp AS "group", count(*) AS size FROM user_groups WHERE app_id = ? AND owner_id = ? GROUP BY grp ORDER BY grp')
      .all(appId, ownerId) as { group: string; size: number }[];
  }
}
