import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { XPushError, Errors } from '../errors.ts';

/**
 * Every HTTP error leaves as `{error: {code, message}}` with its status, whoever raised it: our own
 * XPushErrors, schema validation, fastify's body parser and router (bad percent-encoding, over-long
 * path segments), the CORS plugin, and Node's HTTP parser (oversized headers, garbage request lines).
 * Clients then need one error parser, and no framework detail (FST_* codes) leaks.
 */

/** Longest path parameter after percent-decoding; beyond it the router answers 414. */
export const MAX_PARAM_LENGTH = 1024;

/** The XPUSH code for an HTTP status no XPushError chose. */
export function codeForStatus(status: number): number {
  if (status === 401) return Errors.unauthorized.code;
  if (status === 403) return Errors.permissionDenied.code;
  if (status === 404) return Errors.notFound.code;
  if (status === 409) return Errors.conflict.code;
  if (status === 413 || status === 414 || status === 431) return Errors.limitExceeded.code;
  if (status === 429) return Errors.tooManyRequests.code;
  if (status === 503) return Errors.unavailable.code;
  if (status >= 500) return Errors.internal.code;
  return Errors.badRequest.code;
}

function body(status: number, message: string): { error: { code: number; message: string } } {
  return { error: { code: codeForStatus(status), message } };
}

/** fastify's error handler: XPushErrors as they are, validation naming the field, the rest by status. */
export function errorHandler(err: FastifyError | XPushError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof XPushError) {
    if (err.retryAfterMs !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
    return reply.status(err.status).send({ error: err.toJSON() });
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const v = fe.validation[0];
    const where = v?.instancePath ? v.instancePath.slice(1).replace(/\//g, '.') : fe.validationContext ?? 'body';
    const extra = v?.keyword === 'additionalProperties' ? ` (${String((v.params as { additionalProperty?: string }).additionalProperty)})` : '';
    return reply.status(400).send({ error: { code: Errors.badRequest.code, message: `${fe.validationContext ?? 'body'} ${where}: ${v?.message ?? 'invalid'}${extra}`.replace(/^(\w+) \1: /, '$1: ') } });
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    // The parser reports a __proto__ or constructor.prototype key (refused) the same way as broken JSON.
    const message = fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'body is not valid JSON, or holds a forbidden __proto__ / constructor.prototype key' : fe.message;
    return reply.status(fe.statusCode).send(body(fe.statusCode, message));
  }
  req.log.error({ err }, 'request failed');
  return reply.status(500).send({ error: Errors.internal.toJSON() });
}

/** fastify's `frameworkErrors`: what the router rejects before any route or error handler runs. */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(414).send(body(414, `a path segment is longer than ${MAX_PARAM_LENGTH} characters`));
  } else if (err.code === 'FST_ERR_BAD_URL') {
    void reply.status(400).send(body(400, 'malformed URL: bad percent-encoding in the path'));
  } else {
    void reply.status(500).send({ error: Errors.internal.toJSON() });
  }
}

/** fastify's `clientErrorHandler`: the request could not even be parsed; answer and close the socket. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message = status === 408 ? 'request timed out' : status === 431 ? 'request headers are too large' : 'malformed HTTP request';
  const text = JSON.stringify(body(status, message));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  }
  socket.destroy(err);
}

/** Is this payload already `{error: {code: number, message: string}}`? */
function isOurs(payload: unknown): boolean {
  if (typeof payload !== 'string') return false;
  try {
    const p = JSON.parse(payload) as { error?: { code?: unknown; message?: unknown } } | null;
    return typeof p?.error?.code === 'number' && typeof p.error.message === 'string';
  } catch {
    return false;
  }
}

/**
 * Error handler, not-found handler, and a last net: an error answer that some plugin sent in its own
 * shape (the CORS plugin's text "Invalid Preflight Request") is rewritten to ours on its way out.
 */
export function installErrorShape(app: FastifyInstance): void {
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => reply.status(404).send(body(404, `no route ${req.method} ${req.url.split('?')[0]}`)));
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.statusCode < 400 || isOurs(payload)) return payload;
    let message = http.STATUS_CODES[reply.statusCode] ?? 'error';
    if (typeof payload === 'string' && payload.length > 0 && payload.length < 200 && !payload.startsWith('{')) message = payload;
    void reply.type('application/json; charset=utf-8');
    return JSON.stringify(body(reply.statusCode, message));
  });
}
