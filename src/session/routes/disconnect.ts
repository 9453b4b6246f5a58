import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../../domain/context.ts';
import * as H from '../../protocol/http.ts';
import { requireApiKey } from '../guards.ts';
import { disconnect } from '../../domain/user-ops.ts';

/**
 * POST /v1/apps/:app/disconnect {client?, user?, device?, code?, reason?}: closes one connection, a
 * user's, or one device's, on every node (broker control topic). In its own file because the admin
 * console work plans the same endpoint; the two are one when merged.
 */
export function disconnectRoutes(base: FastifyInstance, core: Core): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  http.post('/v1/apps/:app/disconnect', {
    schema: {
      security: [{ apiKey: [] }], tags: ['server'], params: H.AppParams, body: H.DisconnectBody, response: { 200: H.Requested },
      summary: 'Close connections: one client, every connection of a user, or one device of a user, with a code (default 3503: the SDKs stop)',
    },
  }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    await disconnect(core, req.params.app, req.body);
    return { requested: true as const };
  });
}
