import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import cors from '@fastify/cors';
import type { Logger } from 'pino';
import { Ajv } from 'ajv';
import { Errors } from '../errors.ts';
import { installErrorShape, frameworkErrors, clientErrorHandler, MAX_PARAM_LENGTH } from './http-errors.ts';
import { tooDeep, MAX_JSON_DEPTH } from '../protocol/json-depth.ts';
import { documentErrors, refResolver } from './openapi.ts';

/**
 * The HTTP side shared by both roles: fastify with every body/query schema-checked (unknown fields
 * refused, not silently dropped), errors as `{error: {code, message}}` with the right status
 * (http-errors.ts), the OpenAPI document at /openapi.json and an interactive page for it at /docs.
 */
export async function createHttp(log: Logger, maxBodyBytes: number, corsOrigins: string[], trustProxy: boolean | string = false): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: maxBodyBytes,
    trustProxy,
    // Channel names are up to 255 characters; fastify's default limit of 100 (checked on the decoded
    // segment) made longer names unreachable. Names a little too long still get the schema's 400
    // naming the field; only absurd segments get the router's 414.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    clientErrorHandler,
  });
  installErrorShape(app);
  // Query strings and path params are text and must be coerced (`?limit=5`); JSON bodies must not be
  // (`{"user": 42}` is a wrong type, not the user "42").
  const bodyAjv = new Ajv({ removeAdditional: false, coerceTypes: false, allErrors: false, useDefaults: true, strict: false });
  const textAjv = new Ajv({ removeAdditional: false, coerceTypes: 'array', allErrors: false, useDefaults: true, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema));
  // Response schemas (protocol/http.ts) document the API in /openapi.json; answers are serialised
  // as they are, never filtered or coerced through a schema.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('preValidation', async (req) => {
    if (tooDeep(req.body)) throw Errors.badRequest.with(`body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  });
  await app.register(cors, {
    origin: corsOrigins.includes('*') ? true : corsOrigins,
    allowedHeaders: ['content-type', 'authorization', 'x-app-key', 'x-api-key'],
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    maxAge: 600,
  });
  documentErrors(app);
  await app.register(swagger, {
    refResolver,
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
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Swagger UI's page and assets come from the package (node_modules), never from a CDN; imported
  // here, not at the top, so CLI commands that never serve HTTP do not load it. Its
  // Content-Security-Policy keeps the page to this origin; inline styles are allowed because the UI
  // colours responses with style attributes. Not the package's default policy: that one upgrades
  // requests to https, which breaks "Try it out" on a plain-HTTP server.
  const { default: swaggerUi } = await import('@fastify/swagger-ui');
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: {
      'default-src': "'self'", 'script-src': "'self'", 'style-src': "'self' 'unsafe-inline'", 'img-src': "'self' data:",
      'font-src': "'self' data:", 'connect-src': "'self'", 'object-src': "'none'", 'base-uri': "'self'", 'frame-ancestors': "'none'",
    },
  });
  return app;
}
