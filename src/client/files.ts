import { XPushError } from '../errors.ts';
import type { FileUrl, UploadResult } from '../protocol/types.generated.ts';
import { parseAnswer, type SessionClient } from './session.ts';

/** Bytes sent so far, and the total when known (it is not for a stream). */
export interface UploadProgress {
  loaded: number;
  total?: number;
}

export interface SendFileOptions {
  /** File name shown to others. Default: the File's name, else `file`. */
  name?: string;
  /** Called as the bytes go out (browser: XHR upload progress; Node: as the request body is read). */
  onProgress?: (p: UploadProgress) => void;
  /** Aborts the upload; the server then stores nothing. */
  signal?: AbortSignal;
}

/** What `sendFile` accepts: a File or Blob, bytes, a web ReadableStream, or any async iterable of bytes (a Node Readable). */
export type FileSource = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Where a file message points: a received `file` message, or the channel and file id. */
export type FileRef = { channel: string; data: unknown } | { channel: string; id: string };

/** Bytes per chunk when the SDK cuts bytes it was handed whole (the granularity of progress in Node). */
const CHUNK = 64 * 1024;

/**
 * Uploads into a channel (`POST .../files`). In browsers the body goes through XMLHttpRequest, the one
 * API with upload progress on HTTP/1.1 (a stream is gathered into a Blob first); elsewhere through
 * fetch with a streamed body, counted as it is read, and a Content-Length whenever the size is known,
 * so an upload over the app's limit is refused (413/106) before it is sent.
 */
export async function uploadFile(session: SessionClient, token: string, channel: string, source: FileSource, opts: SendFileOptions = {}): Promise<UploadResult> {
  const name = opts.name ?? (isBlob(source) && typeof (source as File).name === 'string' ? (source as File).name : undefined);
  const q = name !== undefined ? `?name=${encodeURIComponent(name)}` : '';
  const path = `${session.appPath}/channels/${encodeURIComponent(channel)}/files${q}`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' };
  const progress = opts.onProgress ?? (() => undefined);
  const Xhr = (globalThis as { XMLHttpRequest?: typeof XMLHttpRequest }).XMLHttpRequest;
  if (Xhr) {
    const blob = await toBlob(source);
    const r = await xhrSend(Xhr, session.baseUrl + path, headers, blob, progress, opts.signal);
    return parseAnswer<UploadResult>(r.status, r.text);
  }
  const total = isBlob(source) ? source.size : source instanceof Uint8Array || source instanceof ArrayBuffer ? source.byteLength : undefined;
  const body = counted(chunksOf(source), total, progress);
  const res = await session.fetchRaw(path, {
    method: 'POST',
    headers: total !== undefined ? { ...headers, 'content-length': String(total) } : headers,
    body,
    duplex: 'half',
    signal: opts.signal,
  } as RequestInit);
  return parseAnswer<UploadResult>(res.status, await res.text());
}

/** A signed download URL (absolute, on the SDK's server URL) for a file message. */
export async function signedUrl(session: SessionClient, token: string, ref: FileRef): Promise<string> {
  const id = 'id' in ref ? ref.id : (ref.data as { id?: unknown } | null)?.id;
  if (typeof ref?.channel !== 'string' || typeof id !== 'string') throw new XPushError(107, 'fileUrl: pass a `file` message (data.id) or {channel, id}');
  const path = `${session.appPath}/channels/${encodeURIComponent(ref.channel)}/files/${encodeURIComponent(id)}/url`;
  const r = await session.request<FileUrl>('GET', path, undefined, { authorization: `Bearer ${token}` });
  return session.baseUrl + r.path;
}

function isBlob(x: unknown): x is Blob {
  return typeof Blob !== 'undefined' && x instanceof Blob;
}

async function toBlob(source: FileSource): Promise<Blob> {
  if (isBlob(source)) return source;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return new Blob([source as BlobPart]);
  const parts: BlobPart[] = [];
  for await (const c of chunksOf(source)) parts.push(c as BlobPart);
  return new Blob(parts);
}

async function* chunksOf(source: FileSource): AsyncGenerator<Uint8Array> {
  if (isBlob(source)) {
    yield* chunksOf(source.stream());
  } else if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
  } else if (typeof (source as ReadableStream).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  } else if (source && typeof (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    for await (const c of source as AsyncIterable<Uint8Array>) yield typeof c === 'string' ? new TextEncoder().encode(c) : c;
  } else {
    throw new XPushError(107, 'sendFile: the file must be a Blob, bytes, a ReadableStream or an async iterable of bytes');
  }
}

/** A pull-only stream (no read-ahead): what has been pulled is what the request has taken. */
function counted(chunks: AsyncGenerator<Uint8Array>, total: number | undefined, progress: (p: UploadProgress) => void): ReadableStream<Uint8Array> {
  let loaded = 0;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const { value, done } = await chunks.next();
      if (done) {
        ctrl.close();
        return;
      }
      loaded += value.byteLength;
      ctrl.enqueue(value);
      progress(total !== undefined ? { loaded, total } : { loaded });
    },
    async cancel() {
      await chunks.return(undefined);
    },
  }, { highWaterMark: 0 });
}

function xhrSend(Xhr: typeof XMLHttpRequest, url: string, headers: Record<string, string>, blob: Blob, progress: (p: UploadProgress) => void, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const x = new Xhr();
    x.open('POST', url);
    for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
    x.upload.onprogress = (e) => progress({ loaded: e.loaded, total: e.lengthComputable ? e.total : blob.size });
    x.onload = () => resolve({ status: x.status, text: x.responseText });
    x.onerror = () => reject(new XPushError(100, 'upload failed: network error', { temporary: true }));
    x.onabort = () => reject(new XPushError(107, 'upload aborted'));
    if (signal) {
      if (signal.aborted) return reject(new XPushError(107, 'upload aborted'));
      signal.addEventListener('abort', () => x.abort(), { once: true });
    }
    x.send(blob);
  });
}
