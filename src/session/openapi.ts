import type { FastifyInstance, RouteOptions } from 'fastify';
import { ErrorBody } from '../protocol/http.ts';

/**
 * What /openapi.json says about errors, for every documented route at once: any 4xx or 5xx answer is
 * `{error: {code, message}}` (http-errors.ts makes that true for our errors, validation, the router
 * and the body parser), published once as `components.schemas.Error`. A route that declares a
 * status of its own (a 416 with the same body, say) keeps its declaration.
 */
export const ERROR_SCHEMA_ID = 'Error';

const errorRef = (description: string) => ({ $ref: `${ERROR_SCHEMA_ID}#`, description });

/** Registers the Error schema and the onRoute hook; call before any route is added. */
export function documentErrors(app: FastifyInstance): void {
  app.addSchema(ErrorBody);
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as (Record<string, unknown> & { hide?: boolean; response?: Record<string, unknown> }) | undefined;
    if (!schema) return;
    for (const part of ['body', 'querystring', 'params'] as const) if (schema[part]) schema[part] = safeIntegers(schema[part]);
    if (schema.hide) return;
    const response = { ...(schema.response ?? {}) };
    response['4xx'] ??= errorRef('Refused: bad input (400), credentials (401, 403), unknown resource (404), conflict (409), limit (413, 429); `error.code` says which');
    response['5xx'] ??= errorRef('Failed on the server side (500), or a dependency is unavailable (502, 503, 504); `error.temporary` means retry');
    schema.response = response;
  });
}

/**
 * A copy of a request schema where every integer without bounds is held to the integers JSON carries
 * exactly (±2^53-1): Ajv's `integer` takes 1e36, which was stored and then answered as
 * `1e+36` (not an integer to any other client). Documented and validated alike.
 */
export function safeIntegers(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(safeIntegers);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'const' || k === 'default' || k === 'examples' ? v : safeIntegers(v);
  if (out.type === 'integer') {
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) out.maximum = Number.MAX_SAFE_INTEGER;
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) out.minimum = Number.MIN_SAFE_INTEGER;
  }
  return out;
}

/**
 * @fastify/swagger's names for shared schemas: their `$id` (so the document says
 * `#/components/schemas/Error`, not `def-0`).
 */
export const refResolver = {
  buildLocalReference(json: Record<string, unknown>, _base: unknown, _fragment: unknown, i: number): string {
    return typeof json.$id === 'string' ? json.$id : `def-${i}`;
  },
};
