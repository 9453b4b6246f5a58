import type { Readable } from 'node:stream';

/**
 * Where the bytes of files uploaded into channels live. Two implementations satisfy it: the
 * filesystem under the data dir (`blob-fs.ts`, the single-node default) and PostgreSQL
 * (`blob-postgres.ts`, so the nodes of a cluster share files without a shared disk). One contract
 * suite (test/contract/blob.contract.ts) runs against both.
 *
 * Contract for every method:
 * - A blob is addressed by (app, channel, id) and is immutable once stored.
 * - `put` is all or nothing: a blob is readable only once every byte is stored; if the source
 *   fails (the upload was cut, or went over the size limit) or the store fails, nothing of it stays
 *   and `put` rejects with that error. Putting a key that exists (or is being put) rejects with
 *   `Errors.conflict` and leaves the existing blob alone.
 * - "Not found" is `undefined` / `false` / 0, never an exception; I/O failures reject.
 * - `deleteChannel` / `deleteApp` remove every blob under them, including a `put` still running,
 *   which then rejects and leaves nothing.
 */
export interface BlobKey {
  app: string;
  channel: string;
  id: string;
}

/** Inclusive byte range, as HTTP's `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStore {
  readonly kind: 'fs' | 'postgres';
  /** Streams `data` in; resolves with the number of bytes once all of it is durable. */
  put(key: BlobKey, data: AsyncIterable<Uint8Array>): Promise<number>;
  /** The blob's size, or undefined if there is no (complete) blob. */
  size(key: BlobKey): Promise<number | undefined>;
  /**
   * A stream of the blob's bytes (those of `range` only, when given; it must lie within the blob),
   * or undefined if there is no such blob. A blob deleted while it is being read ends the stream with
   * an error, never with silently missing bytes.
   */
  read(key: BlobKey, range?: ByteRange): Promise<Readable | undefined>;
  delete(key: BlobKey): Promise<boolean>;
  /** Removes every blob of the channel; resolves with how many complete blobs were removed. */
  deleteChannel(app: string, channel: string): Promise<number>;
  /** Removes every blob of the app. */
  deleteApp(app: string): Promise<number>;
  /**
   * Removes what puts interrupted by a crash left behind (started before `olderThan`, epoch ms).
   * Resolves with how many partial blobs were removed.
   */
  sweep(olderThan: number): Promise<number>;
  /** Releases files or connections; later calls reject. */
  close(): Promise<void>;
}
