import { Readable } from 'node:stream';
import pg from 'pg';
import { Errors } from '../errors.ts';
import { connectionWithSchema } from '../store/postgres/postgres-store.ts';
import { checkSchemaName } from '../store/postgres/migrations.ts';
import { mapError } from '../store/postgres/db.ts';
import type { BlobKey, BlobStore, ByteRange } from './blob-store.ts';

/** Bytes per stored chunk: big enough that a 25 MB file is 100 rows, small enough to stream. */
export const CHUNK_BYTES = 256 * 1024;
/** Chunks fetched per query while reading (1 MiB). */
const READ_BATCH = 4;

/**
 * Blobs in PostgreSQL (tables `blobs` and `blob_chunks`, created by the store's migration 7), so every
 * node of a cluster reads what any node stored, with no shared disk. A blob is a header row plus
 * fixed-size chunks (chunk n holds bytes [n·CHUNK_BYTES, (n+1)·CHUNK_BYTES)), so a Range read fetches
 * only the chunks it covers. A put claims the key with an incomplete header, writes each chunk in its
 * own statement (no transaction held open for the length of an upload) and marks the header complete
 * at the end; readers see complete blobs only. A crash mid-put leaves an incomplete header and chunks
 * that `sweep` removes. Uses the store's database and schema with a small pool of its own.
 * See BlobStore for the contract.
 */
export class PostgresBlobStore implements BlobStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private closing?: Promise<void>;

  constructor(url: string, schema = 'public', opts: { max?: number; onError?: (err: Error) => void } = {}) {
    this.pool = new pg.Pool({ ...connectionWithSchema(url, checkSchemaName(schema)), max: opts.max ?? 5 });
    this.pool.on('error', opts.onError ?? (() => {}));
  }

  async put(key: BlobKey, data: AsyncIterable<Uint8Array>): Promise<number> {
    const k = [key.app, key.channel, key.id];
    try {
      await this.pool.query('INSERT INTO blobs (app_id, channel, id, created_at) VALUES ($1, $2, $3, $4)', [...k, Date.now()]);
    } catch (err) {
      const e = mapError(err);
      throw e === Errors.conflict ? Errors.conflict.with(`blob ${key.id} already exists`) : e;
    }
    let size = 0;
    let seq = 0;
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (all: boolean): Promise<void> => {
      while (pendingBytes >= CHUNK_BYTES || (all && pendingBytes > 0)) {
        const joined = Buffer.concat(pending);
        const chunk = joined.subarray(0, CHUNK_BYTES);
        const rest = joined.subarray(chunk.length);
        pending.length = 0;
        if (rest.length) pending.push(rest);
        pendingBytes = rest.length;
        await this.pool.query('INSERT INTO blob_chunks (app_id, channel, id, seq, data) VALUES ($1, $2, $3, $4, $5)', [...k, seq++, chunk]);
      }
    };
    try {
      for await (const c of data) {
        size += c.length;
        pending.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
        pendingBytes += c.length;
        await flush(false);
      }
      await flush(true);
      const done = await this.pool.query('UPDATE blobs SET complete = true, size = $4 WHERE app_id = $1 AND channel = $2 AND id = $3 AND NOT complete', [...k, size]);
      if (done.rowCount !== 1) throw Errors.notFound.with('the channel was deleted while the file was being stored');
      return size;
    } catch (err) {
      // This put owns the incomplete header: remove it and every chunk written so far.
      await this.pool.query(
        `WITH b AS (DELETE FROM blobs WHERE app_id = $1 AND channel = $2 AND id = $3 AND NOT complete)
         DELETE FROM blob_chunks WHERE app_id = $1 AND channel = $2 AND id = $3`, k,
      ).catch(() => undefined);
      throw err;
    }
  }

  async size(key: BlobKey): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ size: string }>(
      'SELECT size FROM blobs WHERE app_id = $1 AND channel = $2 AND id = $3 AND complete', [key.app, key.channel, key.id],
    );
    return rows[0] ? Number(rows[0].size) : undefined;
  }

  async read(key: BlobKey, range?: ByteRange): Promise<Readable | undefined> {
    const size = await this.size(key);
    if (size === undefined) return undefined;
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    if (start < 0 || end >= size || start > end + 1) throw new RangeError(`range ${start}-${end} outside blob of ${size} bytes`);
    return Readable.from(this.#chunks(key, start, end), { objectMode: false });
  }

  async *#chunks(key: BlobKey, start: number, end: number): AsyncGenerator<Buffer> {
    if (end < start) return;
    const first = Math.floor(start / CHUNK_BYTES);
    const last = Math.floor(end / CHUNK_BYTES);
    for (let from = first; from <= last; from += READ_BATCH) {
      const to = Math.min(last, from + READ_BATCH - 1);
      const { rows } = await this.pool.query<{ seq: number; data: Buffer }>(
        'SELECT seq, data FROM blob_chunks WHERE app_id = $1 AND channel = $2 AND id = $3 AND seq BETWEEN $4 AND $5 ORDER BY seq',
        [key.app, key.channel, key.id, from, to],
      );
      // Fewer rows than asked: the blob was deleted while being read. Fail rather than send a short body.
      if (rows.length !== to - from + 1) throw Errors.notFound.with(`file ${key.id} was deleted while being read`);
      for (const r of rows) {
        const base = r.seq * CHUNK_BYTES;
        yield r.data.subarray(Math.max(0, start - base), Math.min(r.data.length, end - base + 1));
      }
    }
  }

  async delete(key: BlobKey): Promise<boolean> {
    return (await this.#deleteWhere('app_id = $1 AND channel = $2 AND id = $3', [key.app, key.channel, key.id])) > 0;
  }

  deleteChannel(app: string, channel: string): Promise<number> {
    return this.#deleteWhere('app_id = $1 AND channel = $2', [app, channel]);
  }

  deleteApp(app: string): Promise<number> {
    return this.#deleteWhere('app_id = $1', [app]);
  }

  /** Headers and chunks in one statement: a crash cannot leave one without the other. */
  async #deleteWhere(where: string, params: string[]): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH b AS (DELETE FROM blobs WHERE ${where} RETURNING complete), c AS (DELETE FROM blob_chunks WHERE ${where})
       SELECT count(*) FILTER (WHERE complete)::int AS n FROM b`, params,
    );
    return rows[0]?.n ?? 0;
  }

  async sweep(olderThan: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH b AS (DELETE FROM blobs WHERE NOT complete AND created_at < $1 RETURNING app_id, channel, id),
       c AS (DELETE FROM blob_chunks k USING b WHERE k.app_id = b.app_id AND k.channel = b.channel AND k.id = b.id)
       SELECT count(*)::int AS n FROM b`, [olderThan],
    );
    // Chunks whose header is gone (a channel deleted while a put on a node that then died was running).
    await this.pool.query(
      `DELETE FROM blob_chunks k WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.app_id = k.app_id AND b.channel = k.channel AND b.id = k.id)`,
    );
    return rows[0]?.n ?? 0;
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}
