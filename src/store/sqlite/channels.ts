import { Errors } from '../../errors.ts';
import { membersLimit, type ChannelKind, type ChannelRecord, type ChannelStore, type ChannelType, type Page, type Retention } from '../store.ts';
import { fromJson, toJson, uniq, encodeCursor, decodeCursor, prefixUpperBound, type Statements } from './db.ts';

export interface ChannelRow {
  app_id: string;
  name: string;
  type: ChannelType;
  data: string | null;
  owner_id: string | null;
  epoch: string;
  top_offset: number;
  created_at: number;
  kind: ChannelKind;
  cache_size: number | null;
  retain_age_sec: number | null;
  retain_count: number | null;
  trim_offset: number;
}

export const CHANNEL_COLS = 'app_id, name, type, data, owner_id, epoch, top_offset, created_at, kind, cache_size, retain_age_sec, retain_count, trim_offset';
const PREFIXED_COLS = CHANNEL_COLS.split(', ').map((c) => `c.${c}`).join(', ');

/** See ChannelStore (src/store/store.ts). */
export class SqliteChannelStore implements ChannelStore {
  constructor(private readonly q: Statements) {}

  async create(ch: ChannelRecord, members: string[]): Promise<void> {
    this.q.db.transaction(() => {
      const r = this.q
        .get(`INSERT INTO channels (${CHANNEL_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
        .run(ch.appId, ch.name, ch.type, toJson(ch.data), ch.ownerId, ch.epoch, ch.topOffset, ch.createdAt,
          ch.kind, ch.cacheSize ?? null, ch.retention?.maxAgeSec ?? null, ch.retention?.maxCount ?? null, ch.trimOffset ?? 0);
      if (r.changes === 0) throw Errors.conflict.with(`channel ${ch.name} already exists`);
      const add = this.q.get('INSERT INTO channel_members (app_id, channel, user_id, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
      for (const id of members) add.run(ch.appId, ch.name, id, ch.createdAt);
    }).immediate();
  }

  async get(appId: string, name: string): Promise<ChannelRecord | undefined> {
    const row = this.q.get(`SELECT ${CHANNEL_COLS} FROM channels WHERE app_id = ? AND name = ?`).get(appId, name) as ChannelRow | undefined;
    return row && toChannel(row);
  }

  async updateData(appId: string, name: string, data: unknown): Promise<boolean> {
    return this.q.get('UPDATE channels SET data = ? WHERE app_id = ? AND name = ?').run(toJson(data), appId, name).changes > 0;
  }

  /** One transaction over the channel's rows in every table (there are no FK cascades). */
  async delete(appId: string, name: string): Promise<boolean> {
    return this.q.db.transaction(() => {
      const gone = this.q.get('DELETE FROM channels WHERE app_id = ? AND name = ?').run(appId, name).changes > 0;
      if (!gone) return false;
      this.q.get('DELETE FROM channel_members WHERE app_id = ? AND channel = ?').run(appId, name);
      this.q.get('DELETE FROM messages WHERE app_id = ? AND channel = ?').run(appId, name);
      // Without table statistics the planner prefers the (app_id, …) primary-key prefix: name the index.
      this.q.get('DELETE FROM read_positions INDEXED BY read_positions_channel WHERE app_id = ? AND channel = ?').run(appId, name);
      this.q.get('DELETE FROM files WHERE app_id = ? AND channel = ?').run(appId, name);
      return true;
    }).immediate();
  }

  async addMembers(appId: string, name: string, userIds: string[], at: number, max?: number): Promise<string[]> {
    return this.q.db.transaction(() => {
      if (!this.exists(appId, name)) return [];
      if (max !== undefined) {
        const has = this.q.get('SELECT 1 FROM channel_members WHERE app_id = ? AND channel = ? AND user_id = ?');
        const fresh = uniq(userIds).filter((id) => has.get(appId, name, id) === undefined).length;
        const count = this.q.get('SELECT count(*) FROM channel_members WHERE app_id = ? AND channel = ?').pluck().get(appId, name) as number;
        if (fresh > 0 && count + fresh > max) throw membersLimit(max, count, fresh);
      }
      const add = this.q.get('INSERT INTO channel_members (app_id, channel, user_id, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
      return uniq(userIds).filter((id) => add.run(appId, name, id, at).changes > 0);
    }).immediate();
  }

  async removeMembers(appId: string, name: string, userIds: string[]): Promise<string[]> {
    return this.q.db.transaction(() => {
      const del = this.q.get('DELETE FROM channel_members WHERE app_id = ? AND channel = ? AND user_id = ?');
      const delRead = this.q.get('DELETE FROM read_positions WHERE app_id = ? AND user_id = ? AND channel = ?');
      return uniq(userIds).filter((id) => {
        if (del.run(appId, name, id).changes === 0) return false;
        delRead.run(appId, id, name);
        return true;
      });
    }).immediate();
  }

  async isMember(appId: string, name: string, userId: string): Promise<boolean> {
    return this.q.get('SELECT 1 FROM channel_members WHERE app_id = ? AND channel = ? AND user_id = ?').get(appId, name, userId) !== undefined;
  }

  async members(appId: string, name: string): Promise<string[]> {
    return this.q
      .get('SELECT user_id FROM channel_members WHERE app_id = ? AND channel = ? ORDER BY user_id')
      .pluck()
      .all(appId, name) as string[];
  }

  async listForUser(appId: string, userId: string): Promise<ChannelRecord[]> {
    const rows = this.q
      .get(
        `SELECT ${PREFIXED_COLS} FROM channel_members m JOIN channels c ON c.app_id = m.app_id AND c.name = m.channel
         WHERE m.app_id = ? AND m.user_id = ? ORDER BY m.channel`,
      )
      .all(appId, userId) as ChannelRow[];
    return rows.map(toChannel);
  }

  async retained(): Promise<{ appId: string; name: string; retention: Retention }[]> {
    const rows = this.q
      .get(`SELECT app_id, name, retain_age_sec, retain_count FROM channels INDEXED BY channels_retained
            WHERE retain_age_sec IS NOT NULL OR retain_count IS NOT NULL`)
      .all() as { app_id: string; name: string; retain_age_sec: number | null; retain_count: number | null }[];
    return rows.map((r) => ({ appId: r.app_id, name: r.name, retention: retentionOf(r)! }));
  }

  async list(appId: string, q: { prefix?: string; limit: number; cursor?: string }): Promise<Page<ChannelRecord>> {
    const where = ['app_id = ?'];
    const args: unknown[] = [appId];
    if (q.cursor !== undefined) {
      where.push('name > ?');
      args.push(decodeCursor(q.cursor));
    }
    if (q.prefix) {
      // A range on the primary key, then an exact prefix check: no LIKE wildcards to escape.
      where.push('name >= ?', 'substr(name, 1, length(?)) = ?');
      args.push(q.prefix, q.prefix, q.prefix);
      const upper = prefixUpperBound(q.prefix);
      if (upper !== undefined) {
        where.push('name < ?');
        args.push(upper);
      }
    }
    const limit = Math.max(0, Math.floor(q.limit));
    args.push(limit + 1);
    const rows = this.q.get(`SELECT ${CHANNEL_COLS} FROM channels WHERE ${where.join(' AND ')} ORDER BY name LIMIT ?`).all(...args) as ChannelRow[];
    const items = rows.slice(0, limit).map(toChannel);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, next: encodeCursor(last.name) } : { items };
  }

  private exists(appId: string, name: string): boolean {
    return this.q.get('SELECT 1 FROM channels WHERE app_id = ? AND name = ?').get(appId, name) !== undefined;
  }
}

export function toChannel(r: ChannelRow): ChannelRecord {
  return {
    appId: r.app_id,
    name: r.name,
    type: r.type,
    data: fromJson(r.data),
    ownerId: r.owner_id,
    epoch: r.epoch,
    topOffset: r.top_offset,
    createdAt: r.created_at,
    kind: r.kind,
    ...(r.cache_size !== null ? { cacheSize: r.cache_size } : {}),
    ...(retentionOf(r) ? { retention: retentionOf(r) } : {}),
    trimOffset: r.trim_offset,
  };
}

function retentionOf(r: { retain_age_sec: number | null; retain_count: number | null }): Retention | undefined {
  if (r.retain_age_sec === null && r.retain_count === null) return undefined;
  return { ...(r.retain_age_sec !== null ? { maxAgeSec: r.retain_age_sec } : {}), ...(r.retain_count !== null ? { maxCount: r.retain_count } : {}) };
}
