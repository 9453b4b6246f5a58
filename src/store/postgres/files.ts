import type pg from 'pg';
import type { FileRecord, FileStore } from '../store.ts';
import { conflictAware } from './db.ts';

interface FileRow {
  app_id: string; channel: string; id: string; name: string; type: string; size: number;
  width: number | null; height: number | null; uploader: string; msg_offset: number | null; created_at: number;
}

const toFile = (r: FileRow): FileRecord => ({
  appId: r.app_id, channel: r.channel, id: r.id, name: r.name, type: r.type, size: r.size, width: r.width,
  height: r.height, uploader: r.uploader, offset: r.msg_offset, createdAt: r.created_at,
});

/** See FileStore (src/store/store.ts). */
export class PostgresFileStore implements FileStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(f: FileRecord): Promise<void> {
    await conflictAware(this.pool.query(
      `INSERT INTO files (app_id, channel, id, name, type, size, width, height, uploader, msg_offset, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [f.appId, f.channel, f.id, f.name, f.type, f.size, f.width, f.height, f.uploader, f.offset, f.createdAt],
    ));
  }

  async get(appId: string, channel: string, id: string): Promise<FileRecord | undefined> {
    const { rows } = await this.pool.query<FileRow>('SELECT * FROM files WHERE app_id = $1 AND channel = $2 AND id = $3', [appId, channel, id]);
    return rows[0] && toFile(rows[0]);
  }

  async setOffset(appId: string, channel: string, id: string, offset: number): Promise<boolean> {
    const res = await this.pool.query('UPDATE files SET msg_offset = $4 WHERE app_id = $1 AND channel = $2 AND id = $3', [appId, channel, id, offset]);
    return res.rowCount === 1;
  }

  async delete(appId: string, channel: string, id: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM files WHERE app_id = $1 AND channel = $2 AND id = $3', [appId, channel, id]);
    return res.rowCount === 1;
  }

  async list(appId: string, channel: string, q: { before?: number; limit: number }): Promise<FileRecord[]> {
    const { rows } = await this.pool.query<FileRow>(
      `SELECT * FROM files WHERE app_id = $1 AND channel = $2 AND msg_offset IS NOT NULL AND msg_offset < $3
       ORDER BY msg_offset DESC LIMIT $4`,
      [appId, channel, q.before ?? Number.MAX_SAFE_INTEGER, q.limit],
    );
    return rows.map(toFile);
  }
}
