import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ChannelContext } from './context.ts';
import type { Gateway } from './gateway.ts';
import type { EmulationRouter } from './emulation.ts';
import type { Encoding } from './transport.ts';
import { Client } from './client.ts';
import { HttpStreamTransport, STREAM_HEADERS } from './transports/http-stream.ts';
import { originAllowed } from './origin.ts';
import { decodeFrame, type Decoded } from '../protocol/codec.ts';
import { decodeCommandFrame, decodeEmulationRequest } from '../protocol/protobuf/codec.ts';
import { Errors, type XPushError } from '../errors.ts';

export const HTTP_STREAM_PATH = '/connection/http_stream';
export const SSE_PATH = '/connection/sse';
export const EMULATION_PATH = '/emulation';
export const UNI_SSE_PATH = '/connection/uni_sse';
export const UNI_HTTP_STREAM_PATH = '/connection/uni_http_stream';

const PROTOBUF_TYPE = 'application/octet-stream';

export interface StreamDeps {
  ctx: ChannelContext | undefined;
  gateway: Gateway | undefined;
  router: EmulationRouter;
}

/**
 * The HTTP transports (docs/protocol.md "Transports"): bidirectional emulation for networks that
 * block WebSocket (http_stream and sse, with POST /emulation for the client's later commands,
 * exactly as centrifuge-js 5 expects), and the unidirectional streams for SDK-less consumers
 * (uni_sse, uni_http_stream). Every role serves /emulation (it forwards to the stream's node); the
 * streams themselves live on channel servers. Bodies are read raw (JSON lines or Protobuf).
 */
export async function streamRoutes(http: FastifyInstance, deps: StreamDeps): Promise<void> {
  await http.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    const limit = { bodyLimit: deps.ctx?.core.config.maxFrameBytes ?? 262_144, schema: { hide: true } };

    scope.post(EMULATION_PATH, limit, async (req, reply) => {
      checkOrigin(req, deps);
      const body = req.body as Buffer | undefined;
      let node: string, session: string, data: Buffer;
      try {
        if (isProtobuf(req)) {
          const r = decodeEmulationRequest(body ?? new Uint8Array());
          ({ node, session } = r);
          data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
        } else {
          const r = JSON.parse((body ?? Buffer.alloc(0)).toString('utf8')) as { node?: unknown; session?: unknown; data?: unknown };
          if (typeof r.node !== 'string' || typeof r.session !== 'string' || typeof r.data !== 'string') throw new Error('node, session and data (string) are required');
          ({ node, session } = r as { node: string; session: string });
          data = Buffer.from(r.data as string, 'utf8');
        }
        if (node === '' || session === '') throw new Error('node and session must not be empty');
      } catch (err) {
        throw Errors.badRequest.with(`emulation request: ${(err as Error).message}`.slice(0, 200));
      }
      const status = await deps.router.route(node, session, data);
      if (status === 204) return reply.status(204).send();
      const e: XPushError = status === 404 ? Errors.notFound.with('unknown node or session: reconnect') : Errors.unavailable.with('the node holding this session did not answer');
      return reply.status(status).send({ error: e.toJSON() });
    });

    if (!deps.ctx || !deps.gateway) return;
    const ctx = deps.ctx;
    const gateway = deps.gateway;
    const open = (req: FastifyRequest, reply: FastifyReply, name: 'http_stream' | 'sse' | 'uni_sse' | 'uni_http_stream', initial: Buffer, encoding: Encoding): void => {
      checkOrigin(req, deps);
      if (!gateway.isAccepting) throw Errors.unavailable.with('server is shutting down');
      if (initial.length === 0) throw Errors.badRequest.with('the connect command is missing');
      reply.hijack();
      const res = reply.raw;
      const type = name === 'sse' || name === 'uni_sse' ? 'text/event-stream; charset=utf-8' : encoding === 'protobuf' ? PROTOBUF_TYPE : 'application/json';
      res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), ...STREAM_HEADERS, 'content-type': type });
      // EventSource fires `open` on the first bytes (an empty line carries no event); fetch resolves on the headers.
      if (name === 'sse' || name === 'uni_sse') res.write('\r\n');
      else res.flushHeaders();
      const transport = new HttpStreamTransport(name, encoding, res);
      const session = transport.emulation ? deps.router.newSession() : undefined;
      const decode = encoding === 'json' ? decodeJson : (b: Buffer) => decodeCommandFrame(b, ctx.core.config.maxFrameBytes);
      const c = new Client(transport, decode, ctx, session, req.ip);
      gateway.adopt(c);
      if (session) deps.router.register(session, c);
      res.on('close', () => {
        transport.gone();
        if (session) deps.router.unregister(session);
        c.onTransportClosed(3000, 'connection closed');
      });
      c.onMessage(initial);
    };

    scope.post(HTTP_STREAM_PATH, limit, async (req, reply) => open(req, reply, 'http_stream', bodyOf(req), isProtobuf(req) ? 'protobuf' : 'json'));
    scope.get(SSE_PATH, limit, async (req, reply) => open(req, reply, 'sse', Buffer.from(query(req, 'cf_connect')), 'json'));
    scope.post(SSE_PATH, limit, async (req, reply) => open(req, reply, 'sse', bodyOf(req), 'json'));
    if (!ctx.core.config.unidirectional) return;
    scope.get(UNI_SSE_PATH, limit, async (req, reply) => open(req, reply, 'uni_sse', uniConnect(query(req, 'cf_connect')), 'json'));
    scope.post(UNI_SSE_PATH, limit, async (req, reply) => open(req, reply, 'uni_sse', uniConnect(bodyOf(req).toString('utf8')), 'json'));
    scope.post(UNI_HTTP_STREAM_PATH, limit, async (req, reply) => open(req, reply, 'uni_http_stream', uniConnect(bodyOf(req).toString('utf8')), 'json'));
  });
}

function checkOrigin(req: FastifyRequest, deps: StreamDeps): void {
  const allowed = deps.ctx?.core.config.allowedOrigins ?? ['*'];
  const origin = req.headers.origin;
  if (!originAllowed(typeof origin === 'string' ? origin : undefined, allowed)) throw Errors.permissionDenied.with(`origin ${String(origin).slice(0, 100)} is not allowed`);
}

function isProtobuf(req: FastifyRequest): boolean {
  return (req.headers['content-type'] ?? '').startsWith(PROTOBUF_TYPE);
}

function bodyOf(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

function query(req: FastifyRequest, name: string): string {
  const v = (req.query as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : '';
}

/**
 * The unidirectional connect request (`{token, data, subs, name, version}`, Centrifugo's shape) as
 * the connect command the client runs: the server subscribes it to the user's channels
 * (auto_subscribe) and to the readable channels named in `subs`, recovering from their positions.
 */
function uniConnect(text: string): Buffer {
  if (text.trim() === '') return Buffer.alloc(0);
  let req: unknown;
  try {
    req = JSON.parse(text);
  } catch {
    throw Errors.badRequest.with('the connect request must be JSON: {"token": "…", "subs": {"channel": {"recover": true, "offset": 5, "epoch": "…"}}}');
  }
  if (typeof req !== 'object' || req === null || Array.isArray(req)) throw Errors.badRequest.with('the connect request must be a JSON object');
  const r = req as Record<string, unknown>;
  const data = typeof r.data === 'object' && r.data !== null && !Array.isArray(r.data) ? r.data : {};
  return Buffer.from(JSON.stringify({ id: 1, connect: { ...r, data: { ...data, auto_subscribe: true } } }));
}

function decodeJson(b: Buffer): Decoded[] {
  return decodeFrame(b.toString('utf8'));
}
