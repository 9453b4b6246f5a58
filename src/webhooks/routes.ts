import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../domain/context.ts';
import { requireAdmin } from '../session/guards.ts';
import { AppParams } from '../protocol/schemas.ts';
import { Errors } from '../errors.ts';

const Delivery = Type.Object({
  id: Type.String(),
  at: Type.Integer(),
  url: Type.String(),
  status: Type.Integer({ description: 'HTTP status of the answer; 0 = none (timeout, refused)' }),
  ok: Type.Boolean(),
  latencyMs: Type.Integer(),
  eventIds: Type.Array(Type.String()),
  attempt: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
});

/** `GET /v1/admin/apps/:app/webhooks`: events still queued and the newest delivery attempts. */
export function webhookRoutes(base: FastifyInstance, core: Core, adminToken: string): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  http.get('/v1/admin/apps/:app/webhooks', {
    schema: {
      security: [{ admin: [] }], tags: ['admin'], params: AppParams,
      summary: "An app's webhook queue length and its last delivery attempts, newest first",
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ pending: Type.Integer(), deliveries: Type.Array(Delivery) }) },
    },
  }, async (req) => {
    requireAdmin(req, adminToken);
    const app = req.params.app;
    if (!(await core.store.apps.get(app))) throw Errors.notFound.with('no such app');
    const [pending, log] = await Promise.all([core.store.webhooks.pending(app), core.store.webhooks.deliveries(app, req.query.limit ?? 100)]);
    return { pending, deliveries: log.map(({ appId: _app, ...d }) => d) };
  });
}
