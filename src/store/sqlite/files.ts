import type { FileRecord, FileStore } from '../store.ts';
import { Errors } from '../../errors.ts';
import type { Statements } from './db.ts';

interface FileRow {
  app_id: string; channel: string; id: string; name: string; type: string; size: number;
  width: number | null; height: number | null; uploader: string; msg_offset: number | null; created_at: number;
}

const toFile = (r: FileRow): FileRecord => ({
  appId: r.app_id, channel: r.channel, id: r.id, name: r.name, type: r.type, size: r.size, width: r.width,
  height: r.height, uploader: r.uploader, offset: r.msg_offset, createdAt: r.created_at,
});

/** See FileStore (src/store/store.ts). */
export class SqliteFileStore implements FileStore {
  constructor(private readonly q: Statements) {}

  async create(f: FileRecord): Promise<void> {
    const r = this.q.get(`INSERT INTO files (app_id, channel, id, name, type, size, width, height, uploader, msg_offset, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(f.appId, f.channel, f.id, f.name, f.type, f.size, f.width, f.height, f.uploader, f.offset, f.createdAt);
    if (r.changes === 0) throw Errors.conflict.with(`file ${f.id} already exists`);
  }

  async get(appId: string, channel: string, id: string): Promise<FileRecord | undefined> {
    const row = this.q.get('SELECT * FROM files WHERE app_id = ? AND channel = ? AND id = ?').get(appId, channel, id) as FileRow | undefined;
    return row && toFile(row);
  }

  async setOffset(appId: string, channel: string, id: string, offset: number): Promise<boolean> {
    return this.q.get('UPDATE files SET msg_offset = ? WHERE app_id = ? AND channel = ? AND id = ?').run(offset, appId, channel, id).changes > 0;
  }

  async delete(appId: string, channel: string, id: string): Promise<boolean> {
    return this.q.get('DELETE FROM files WHERE app_id = ? AND channel = ? AND id = ?').run(appId, channel, id).changes > 0;
  }

  async list(appId: string, channel: string, q: { before?: number; limit: number }): Promise<FileRecord[]> {
    const rows = this.q.get(`SELECT * FROM files INDEXED BY files_offset
      WHERE app_id = ? AND channel = ? AND msg_offset IS NOT NULL AND msg_offset < ? ORDER BY msg_offset DESC LIMIT ?`)
      .all(appId, channel, q.before ?? Number.MAX_SAFE_INTEGER, q.limit) as FileRow[];
    return rows.map(toFile);
  }
}
