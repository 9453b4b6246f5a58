import { Type, type Static } from 'typebox';
import * as Q from './schemas.ts';
import * as R from './results.ts';

/**
 * The HTTP contract of files in channels (README "Files in channels", docs/http-api.md): request and
 * result schemas of the routes in src/files/routes.ts, published in /openapi.json. Kept beside
 * http.ts rather than in it: one feature, one file.
 */
const strict = { additionalProperties: false } as const;
const O = Type.Object;
const Int = Type.Integer();

/** Server-made file ids: URL-safe, so they are path segments and blob keys as they are. */
export const FileId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const FileParams = O({ app: Q.AppId, channel: Q.ChannelName, file: FileId });

/** What the `file` message carries (its `data`), and what an upload answers under `file`. */
export const FileInfo = O({
  id: Type.String(),
  name: Type.String(),
  size: Int,
  /** Sniffed from the bytes, never taken from the client. */
  type: Type.String(),
  width: Type.Optional(Int),
  height: Type.Optional(Int),
});
export type FileInfo = Static<typeof FileInfo>;

/** A file in a channel's listing: its info, the offset of its message, who uploaded it and when. */
export const FileView = Type.Intersect([FileInfo, O({ channel: Type.String(), offset: Int, user: Type.String(), createdAt: Int })]);
export type FileView = Static<typeof FileView>;

export const UploadQuery = O({
  /** File name shown to others; paths and control characters are removed. Default `file`. */
  name: Type.Optional(Type.String({ maxLength: 1024 })),
  /** Backend uploads only: the user shown as sender (as `sender` of the server API's publish). */
  sender: Type.Optional(Q.UserId),
}, strict);
export const UploadResult = O({ file: FileInfo, message: R.PublishAck });
export type UploadResult = Static<typeof UploadResult>;

export const FileUrl = O({
  /** Absolute download URL, built from the request's own host. */
  url: Type.String(),
  /** The same, relative to the server's base URL (behind a proxy that rewrites hosts, use this). */
  path: Type.String(),
  /** When the URL stops working, ms since epoch. */
  expiresAt: Int,
});
export type FileUrl = Static<typeof FileUrl>;

export const DownloadQuery = O({ exp: Type.Integer({ minimum: 0 }), sig: Type.String({ minLength: 1, maxLength: 128 }) }, strict);
export const FileListQuery = O({ before: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, strict);
export const FileList = O({ files: Type.Array(FileView) });
/** The download answers with the file's own bytes and its sniffed type (any type). */
const bytes = (description: string) => ({ description, content: { '*/*': { schema: Type.String({ format: 'binary' }) } } });
export const DownloadResponses = { 200: bytes('The whole file'), 206: bytes('The requested byte range (Content-Range)') };
export type FileList = Static<typeof FileList>;
