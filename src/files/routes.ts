import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../domain/context.ts';
import type { Actor } from '../hooks.ts';
import type { FileRecord } from '../store/store.ts';
import { authorize } from '../domain/channels.ts';
import { requireApiKey, requireUser } from '../session/guards.ts';
import { Errors, XPushError } from '../errors.ts';
import * as H from '../protocol/http.ts';
import * as F from '../protocol/files.ts';
import { deleteFile, fileUrl, listFiles, requireFile, uploadFile } from './files.ts';
import { verifyFile } from './signed-url.ts';
import { parseRange } from './range.ts';
import { INLINE_TYPES } from './sniff.ts';
import { contentDisposition } from './disposition.ts';

/**
 * Files in channels over HTTP (docs/http-api.md "Files"). Upload, list, URL and delete take a user's
 * Bearer access token (the user must be able to read and write the channel) or the app secret
 * (`X-API-Key`, the backend); the download itself takes only the signed URL, so it works in an
 * `<img src>` or a plain link.
 */
export function fileRoutes(base: FastifyInstance, core: Core): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  const s = { security: [{ user: [] }, { apiKey: [] }] as Record<string, string[]>[], tags: ['files'] };
  const path = '/v1/apps/:app/channels/:channel/files';

  void base.register(async (scope) => {
    // The upload body is raw bytes of any type, read by the handler as it arrives: never parsed,
    // never buffered whole (so fastify's bodyLimit does not apply; the app's maxFileBytes does).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    scope.withTypeProvider<TypeBoxTypeProvider>().post(path, {
      schema: { ...s, summary: 'Upload a file into a channel (raw body); publishes a `file` message', params: H.ChannelParams, querystring: F.UploadQuery, response: { 201: F.UploadResult } },
    }, async (req, reply) => {
      const { app, channel } = req.params;
      try {
        const who = await callerOf(core, req, app);
        let sender: Actor;
        if (who) {
          if (req.query.sender !== undefined) throw Errors.badRequest.with('sender: only the app backend may name a sender');
          await authorize(core, app, channel, who.user);
          sender = who;
        } else {
          sender = { app, user: req.query.sender ?? '', device: '', client: '' };
        }
        const declared = Number(req.headers['content-length']);
        const result = await uploadFile(core, {
          app, channel, sender, name: req.query.name, body: req.raw,
          declaredBytes: Number.isSafeInteger(declared) ? declared : undefined,
        });
        return reply.status(201).send(result);
      } catch (err) {
        // Refused before the body was read to its end: close the connection after the answer rather
        // than read (and throw away) the rest of a possibly huge upload.
        if (!req.raw.complete) void reply.header('connection', 'close');
        throw err;
      }
    });
  });

  http.get(path, { schema: { ...s, summary: "A channel's files, newest first (page with `before` = the last offset)", params: H.ChannelParams, querystring: F.FileListQuery, response: { 200: F.FileList } } }, async (req) => {
    const { app, channel } = req.params;
    await mayRead(core, req, app, channel);
    return { files: await listFiles(core, app, channel, req.query) };
  });

  http.get(`${path}/:file/url`, { schema: { ...s, summary: 'A short-lived signed download URL', params: F.FileParams, response: { 200: F.FileUrl } } }, async (req) => {
    const { app, channel, file } = req.params;
    await mayRead(core, req, app, channel);
    const u = await fileUrl(core, app, channel, file);
    return { url: `${req.protocol}://${req.host}${u.path}`, path: u.path, expiresAt: u.expiresAt };
  });

  http.delete(`${path}/:file`, { schema: { ...s, summary: 'Delete a file (uploader, channel owner or backend); publishes `file.deleted`', params: F.FileParams, response: { 200: H.Deleted } } }, async (req) => {
    const { app, channel, file } = req.params;
    const who = await mayRead(core, req, app, channel);
    await deleteFile(core, app, channel, file, who);
    return { deleted: true as const };
  });

  http.get(`${path}/:file`, { schema: { tags: ['files'], summary: 'Download (signed URL from /url); supports one byte range', params: F.FileParams, querystring: F.DownloadQuery, response: F.DownloadResponses } }, async (req, reply) => {
    const { app, channel, file } = req.params;
    const a = await core.apps.get(app);
    // An unknown app answers like a bad signature: the URL does not tell which apps exist.
    const verdict = a ? verifyFile(a.secret, { app, channel, id: file }, req.query.exp, req.query.sig) : 'bad';
    if (verdict === 'bad') throw Errors.permissionDenied.with('this file URL is not valid: ask for a new one');
    if (verdict === 'expired') throw Errors.expired.with('this file URL has expired: ask for a new one');
    const f = await requireFile(core, app, channel, file);
    return sendFile(core, req, reply, f, req.query.exp);
  });
}

/** The app's backend (X-API-Key) → null; otherwise the user of the Bearer access token. */
async function callerOf(core: Core, req: FastifyRequest, app: string): Promise<Actor | null> {
  if (req.headers['x-api-key'] !== undefined) {
    await requireApiKey(core, req, app);
    return null;
  }
  return requireUser(core, req, app);
}

async function mayRead(core: Core, req: FastifyRequest, app: string, channel: string): Promise<Actor | null> {
  const who = await callerOf(core, req, app);
  await authorize(core, app, channel, who?.user ?? null);
  return who;
}

/**
 * Headers that keep an uploaded file from ever acting as a page of this origin: only raster images
 * are `inline`; the type is the sniffed one and `nosniff` stops browsers from guessing another; the
 * CSP allows nothing to run or load should the response be opened as a document anyway.
 */
export const DOWNLOAD_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'";

async function sendFile(core: Core, req: FastifyRequest, reply: FastifyReply, f: FileRecord, exp: number): Promise<FastifyReply> {
  const etag = `"${f.id}"`;
  const ifRange = req.headers['if-range'];
  // If-Range naming another version: the client's partial copy is stale, send it all.
  const r = ifRange !== undefined && ifRange !== etag ? { kind: 'all' as const } : parseRange(req.headers.range, f.size);
  void reply.headers({
    'accept-ranges': 'bytes',
    etag,
    // Cacheable by the browser only, and no longer than the URL is valid.
    'cache-control': `private, max-age=${Math.max(0, exp - Math.floor(Date.now() / 1000))}`,
    'x-content-type-options': 'nosniff',
    'content-security-policy': DOWNLOAD_CSP,
    'content-disposition': contentDisposition(INLINE_TYPES.has(f.type) ? 'inline' : 'attachment', f.name),
  });
  if (r.kind === 'unsatisfiable') {
    void reply.header('content-range', `bytes */${f.size}`);
    throw new XPushError(Errors.badRequest.code, `range not satisfiable: the file is ${f.size} bytes`, { status: 416 });
  }
  const range = r.kind === 'part' ? r.range : undefined;
  const body = await core.blobs.read({ app: f.appId, channel: f.channel, id: f.id }, range);
  if (!body) throw Errors.notFound.with(`file ${f.id} is gone`);
  void reply.header('content-type', f.type);
  if (range) {
    void reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${f.size}`).header('content-length', String(range.end - range.start + 1));
  } else {
    void reply.status(200).header('content-length', String(f.size));
  }
  return reply.send(body);
}
