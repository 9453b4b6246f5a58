import Fastify, { LogController, type FastifyInstance, type FastifyError, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import cors from '@fastify/cors';
import type { Logger } from 'pino';
import { Ajv } from 'ajv';
import { XPushError, Errors } from '../errors.ts';
import { tooDeep, MAX_JSON_DEPTH } from '../protocol/json-depth.ts';

/**
 * The HTTP side shared by both roles: fastify with every body/query schema-checked (unknown fields
 * refused, not silently dropped), errors as `{error: {code, message}}` with the right status, and
 * the OpenAPI document at /openapi.json.
 */
export async function createHttp(log: Logger, maxBodyBytes: number, corsOrigins: string[]): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: maxBodyBytes,
  });
  // Query strings and path params are text and must be coerced (`?limit=5`); JSON bodies must not be
  // (`{"user": 42}` is a wrong type, not the user "42").
  const bodyAjv = new Ajv({ removeAdditional: false, coerceTypes: false, allErrors: false, useDefaults: true, strict: false });
  const textAjv = new Ajv({ removeAdditional: false, coerceTypes: 'array', allErrors: false, useDefaults: true, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema));
  app.addHook('preValidation', async (req) => {
    if (tooDeep(req.body)) throw Errors.badRequest.with(`body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  });
  await app.register(cors, {
    origin: corsOrigins.includes('*') ? true : corsOrigins,
    allowedHeaders: ['content-type', 'authorization', 'x-app-key', 'x-api-key'],
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    maxAge: 600,
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'XPUSH HTTP API', version: '0.1.0', description: 'Session server: apps, users, devices, auth, channels, server API. See docs/http-api.md.' },
      components: {
        securitySchemes: {
          admin: { type: 'http', scheme: 'bearer' },
          appKey: { type: 'apiKey', in: 'header', name: 'X-App-Key' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          user: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  app.setErrorHandler((err: FastifyError | XPushError, req, reply) => {
    if (err instanceof XPushError) return reply.status(err.status).send({ error: err.toJSON() });
    const fe = err as FastifyError;
    if (fe.validation) {
      const v = fe.validation[0];
      const where = v?.instancePath ? v.instancePath.slice(1).replace(/\//g, '.') : fe.validationContext ?? 'body';
      const extra = v?.keyword === 'additionalProperties' ? ` (${String((v.params as { additionalProperty?: string }).additionalProperty)})` : '';
      return reply.status(400).send({ error: { code: Errors.badRequest.code, message: `${fe.validationContext ?? 'body'} ${where}: ${v?.message ?? 'invalid'}${extra}`.replace(/^(\w+) \1: /, '$1: ') } });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      const code = fe.statusCode === 413 ? Errors.limitExceeded.code : fe.statusCode === 404 ? Errors.notFound.code : Errors.badRequest.code;
      return reply.status(fe.statusCode).send({ error: { code, message: fe.message } });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: Errors.internal.toJSON() });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: Errors.notFound.code, message: `no route ${req.method} ${req.url.split('?')[0]}` } }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  return app;
}
