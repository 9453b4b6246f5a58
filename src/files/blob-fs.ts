import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Errors } from '../errors.ts';
import { makePrivateDir } from '../private-files.ts';
import type { BlobKey, BlobStore, ByteRange } from './blob-store.ts';

/** A blob id is a path segment here: server-made ids only (letters, digits, `_`, `-`). */
const ID = /^[A-Za-z0-9_-]{1,128}$/;
const PART = '.part';
const TRASH = '.trash';

/**
 * Blobs as files under one directory (default `<dataDir>/files`), for a single node. Layout:
 * `<root>/<hash(app)>/<hash(app, channel)>/<id>`: hashed, because app ids and channel names may hold
 * any character and must never become paths. Files are owner-only (0600) in 0700 directories, like
 * the SQLite file: the uploads of every app are private to the server's user.
 *
 * A put writes `.<id>.<random>.part`, fsyncs it and hard-links it to `<id>` (link fails if the name
 * exists, so a blob is never replaced), then removes the part: a reader sees a whole blob or none.
 * Deleting a channel or app renames its directory into `<root>/.trash` first (atomic), so a put still
 * running cannot link into it any more and fails, then removes it. See BlobStore for the contract.
 */
export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;
  #closed = false;

  constructor(readonly root: string) {
    makePrivateDir(root);
  }

  async put(key: BlobKey, data: AsyncIterable<Uint8Array>): Promise<number> {
    const dir = this.#channelDir(key);
    const final = path.join(dir, key.id);
    this.#open();
    makePrivateDir(dir);
    const part = path.join(dir, `.${key.id}.${randomBytes(6).toString('hex')}${PART}`);
    const fh = await fsp.open(part, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
      // The channel's directory was removed between mkdir and open: the channel is being deleted.
      throw err.code === 'ENOENT' ? Errors.notFound.with('the channel was deleted while the file was being stored') : err;
    });
    let size = 0;
    try {
      // Exact 0600 whatever the umask (see private-files.ts).
      await fh.chmod(0o600);
      for await (const chunk of data) {
        size += chunk.length;
        await fh.write(chunk);
      }
      await fh.sync();
      await fh.close();
      await fsp.link(part, final).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw Errors.conflict.with(`blob ${key.id} already exists`);
        if (err.code === 'ENOENT') throw Errors.notFound.with('the channel was deleted while the file was being stored');
        throw err;
      });
      await unlinkQuiet(part);
      return size;
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlinkQuiet(part);
      throw err;
    }
  }

  async size(key: BlobKey): Promise<number | undefined> {
    this.#open();
    try {
      return (await fsp.stat(this.#file(key))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(key: BlobKey, range?: ByteRange): Promise<Readable | undefined> {
    this.#open();
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.#file(key), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    // The open handle keeps the bytes readable even if the blob is deleted meanwhile (POSIX unlink).
    return fh.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: BlobKey): Promise<boolean> {
    this.#open();
    return unlinkQuiet(this.#file(key));
  }

  async deleteChannel(app: string, channel: string): Promise<number> {
    this.#open();
    return this.#remove(this.#channelDir({ app, channel, id: 'x' }), 1);
  }

  async deleteApp(app: string): Promise<number> {
    this.#open();
    return this.#remove(path.join(this.root, hash(app)), 2);
  }

  async sweep(olderThan: number): Promise<number> {
    this.#open();
    await fsp.rm(path.join(this.root, TRASH), { recursive: true, force: true });
    let removed = 0;
    for (const appDir of await dirs(this.root)) {
      for (const chDir of await dirs(appDir)) {
        for (const name of await fsp.readdir(chDir).catch(() => [] as string[])) {
          if (!name.endsWith(PART)) continue;
          const p = path.join(chDir, name);
          const st = await fsp.stat(p).catch(() => undefined);
          if (st && st.mtimeMs < olderThan && (await unlinkQuiet(p))) removed++;
        }
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Moves `dir` to the trash (puts into it now fail), counts its complete blobs, removes it. */
  async #remove(dir: string, depth: number): Promise<number> {
    const trash = path.join(this.root, TRASH);
    makePrivateDir(trash);
    const gone = path.join(trash, randomBytes(8).toString('hex'));
    try {
      await fsp.rename(dir, gone);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const count = await countBlobs(gone, depth);
    await fsp.rm(gone, { recursive: true, force: true });
    return count;
  }

  #channelDir(key: BlobKey): string {
    if (!ID.test(key.id)) throw new TypeError(`FsBlobStore: invalid blob id ${JSON.stringify(key.id)}`);
    return path.join(this.root, hash(key.app), hash(`${key.app}\n${key.channel}`));
  }

  #file(key: BlobKey): string {
    return path.join(this.#channelDir(key), key.id);
  }

  #open(): void {
    if (this.#closed) throw new Error('FsBlobStore is closed');
  }
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

async function unlinkQuiet(p: string): Promise<boolean> {
  try {
    await fsp.unlink(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Subdirectories of `dir`, except the trash. */
async function dirs(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
  return entries.filter((e) => e.isDirectory() && e.name !== TRASH).map((e) => path.join(dir, e.name));
}

/** Complete blobs (not parts) `depth` directory levels below `dir`. */
async function countBlobs(dir: string, depth: number): Promise<number> {
  if (depth === 1) return (await fsp.readdir(dir)).filter((n) => !n.endsWith(PART)).length;
  let n = 0;
  for (const d of await dirs(dir)) n += await countBlobs(d, depth - 1);
  return n;
}
