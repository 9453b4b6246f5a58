import { randomBytes } from 'node:crypto';
import type { Core } from '../domain/context.ts';
import type { Actor } from '../hooks.ts';
import type { AppRecord, FileRecord } from '../store/store.ts';
import { Errors, XPushError } from '../errors.ts';
import { publish } from '../domain/messages.ts';
import type { FileInfo, FileView, UploadResult } from '../protocol/files.ts';
import type { BlobKey } from './blob-store.ts';
import { HeadBytes, sniff } from './sniff.ts';
import { signedPath } from './signed-url.ts';

/**
 * Files in channels: an upload is streamed into the blob store under the app's size limit, sniffed,
 * described in the store and announced by a `file` message in the channel. Permission is the
 * caller's job (routes.ts): writers upload, readers list and get URLs.
 */

/** Event of the message announcing an upload; its data is the FileInfo. */
export const FILE_EVENT = 'file';
/** Event of the message saying a file was deleted; its data is `{id}`. */
export const FILE_DELETED_EVENT = 'file.deleted';

export interface UploadInput {
  app: string;
  channel: string;
  /** Shown as the message's sender (`user: ''` for the app's backend). */
  sender: Actor;
  name: string | undefined;
  /** The request body, read once as it arrives. */
  body: AsyncIterable<Uint8Array>;
  /** Content-Length, when the client declared one: too big is refused before reading anything. */
  declaredBytes?: number;
}

export async function uploadFile(core: Core, u: UploadInput): Promise<UploadResult> {
  await core.channels.require(u.app, u.channel);
  const { maxFileBytes } = (await appOf(core, u.app)).settings.files;
  if (u.declaredBytes !== undefined && u.declaredBytes > maxFileBytes) throw tooLarge(u.declaredBytes, maxFileBytes);
  const key: BlobKey = { app: u.app, channel: u.channel, id: randomBytes(16).toString('base64url') };
  const head = new HeadBytes();
  const size = await core.blobs.put(key, metered(u.body, maxFileBytes, head));
  let stored = false;
  let ack: UploadResult['message'];
  let info: FileInfo;
  try {
    if (size === 0) throw Errors.badRequest.with('the file is empty');
    const s = await sniff(head.bytes());
    const rec: FileRecord = {
      appId: u.app, channel: u.channel, id: key.id, name: cleanName(u.name), type: s.type, size,
      width: s.width, height: s.height, uploader: u.sender.user, offset: null, createdAt: Date.now(),
    };
    // Described before it is announced: a member may ask for its URL as soon as the message arrives.
    await core.store.files.create(rec);
    stored = true;
    info = infoOf(rec);
    ack = await publish(core, u.app, u.sender, { channel: u.channel, event: FILE_EVENT, data: info });
  } catch (err) {
    // Nothing of a refused upload stays: not its description, not its bytes.
    if (stored) await core.store.files.delete(u.app, u.channel, key.id).catch(() => undefined);
    await core.blobs.delete(key).catch((e: unknown) => core.log.error({ err: e, file: key.id }, 'could not remove the bytes of a refused upload'));
    throw err;
  }
  // Announced: from here the file stays. The offset only places it in the listing.
  await core.store.files.setOffset(u.app, u.channel, key.id, ack.offset);
  return { file: info, message: ack };
}

/** Passes the body through, keeping its head for sniffing; past `limit` bytes it fails the put with 413/106. */
async function* metered(body: AsyncIterable<Uint8Array>, limit: number, head: HeadBytes): AsyncGenerator<Uint8Array> {
  let n = 0;
  try {
    for await (const chunk of body) {
      n += chunk.length;
      if (n > limit) throw tooLarge(n, limit, true);
      head.add(chunk);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof XPushError) throw err;
    // The client went away (or the connection broke) before the end of the body.
    throw Errors.badRequest.with('the upload was cut off before its end');
  }
}

function tooLarge(bytes: number, limit: number, atLeast = false): XPushError {
  return Errors.limitExceeded.with(`the file is ${atLeast ? 'more than ' : ''}${atLeast ? limit : bytes} bytes; this app's limit is ${limit} bytes (setting files.maxFileBytes)`);
}

/** A display name: the last path segment, no control characters, at most 255 characters. */
export function cleanName(name: string | undefined): string {
  const base = (name ?? '').split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim().slice(0, 255);
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}

export function infoOf(f: FileRecord): FileInfo {
  const info: FileInfo = { id: f.id, name: f.name, size: f.size, type: f.type };
  if (f.width !== null && f.height !== null) {
    info.width = f.width;
    info.height = f.height;
  }
  return info;
}

export function viewOf(f: FileRecord): FileView {
  return { ...infoOf(f), channel: f.channel, offset: f.offset ?? 0, user: f.uploader, createdAt: f.createdAt };
}

async function appOf(core: Core, app: string): Promise<AppRecord> {
  const a = await core.apps.get(app);
  if (!a) throw Errors.unauthorized.with('no such app');
  return a;
}

export async function requireFile(core: Core, app: string, channel: string, id: string): Promise<FileRecord> {
  const f = await core.store.files.get(app, channel, id);
  if (!f) throw Errors.notFound.with(`no file ${id} in channel "${channel}"`);
  return f;
}

export async function listFiles(core: Core, app: string, channel: string, q: { before?: number; limit?: number }): Promise<FileView[]> {
  return (await core.store.files.list(app, channel, { before: q.before, limit: q.limit ?? 50 })).map(viewOf);
}

/** A download URL for the file, valid for the app's `files.urlTtlSec`. */
export async function fileUrl(core: Core, app: string, channel: string, id: string): Promise<{ path: string; expiresAt: number }> {
  await requireFile(core, app, channel, id);
  const a = await appOf(core, app);
  const exp = Math.floor(Date.now() / 1000) + a.settings.files.urlTtlSec;
  return { path: signedPath(a.secret, { app, channel, id }, exp), expiresAt: exp * 1000 };
}

/**
 * Deleting a file is how a `file` message is deleted (messages themselves are an append-only log):
 * its description and bytes go at once, it leaves the listing, its URLs answer 404, and a
 * `file.deleted` message `{id}` tells the channel's clients to hide it. The uploader, the channel's
 * owner and the app's backend (`by === null`) may delete.
 */
export async function deleteFile(core: Core, app: string, channel: string, id: string, by: Actor | null): Promise<void> {
  const f = await requireFile(core, app, channel, id);
  if (by !== null && by.user !== f.uploader) {
    const ch = await core.channels.require(app, channel);
    if (ch.ownerId !== by.user) throw Errors.permissionDenied.with('only the uploader, the channel owner or the app backend may delete a file');
  }
  if (!(await core.store.files.delete(app, channel, id))) throw Errors.notFound.with(`no file ${id} in channel "${channel}"`);
  await core.blobs.delete({ app, channel, id });
  await publish(core, app, by ?? { app, user: '', device: '', client: '' }, { channel, event: FILE_DELETED_EVENT, data: { id } });
}
