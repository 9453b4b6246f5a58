import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Core } from '../../domain/context.ts';
import type { AppRecord } from '../../store/store.ts';
import { requireAdmin } from '../guards.ts';
import { Errors } from '../../errors.ts';
import { AppParams } from '../../protocol/schemas.ts';
import { CONTROL_TOPIC, encodeEvent } from '../../protocol/events.ts';

const AppName = Type.String({ minLength: 1, maxLength: 128 });

/** Creates an app (tenant) with its id, public key and secret. Used by the admin API and `xpush app create`. */
export async function createApp(core: Core, name: string): Promise<AppRecord> {
  const app: AppRecord = {
    id: 'app_' + randomBytes(6).toString('hex'),
    name,
    key: 'pk_' + randomBytes(16).toString('base64url'),
    secret: 'sk_' + randomBytes(32).toString('base64url'),
    createdAt: Date.now(),
  };
  await core.store.apps.create(app);
  return app;
}

export function adminRoutes(http: FastifyInstance, core: Core, adminToken: string): void {
  const guard = { security: [{ admin: [] }], tags: ['admin'] };
  http.post('/v1/admin/apps', { schema: { ...guard, body: Type.Object({ name: AppName }, { additionalProperties: false }) } }, async (req, reply) => {
    requireAdmin(req, adminToken);
    const app = await createApp(core, (req.body as { name: string }).name);
    return reply.status(201).send(app);
  });
  http.get('/v1/admin/apps', { schema: guard }, async (req) => {
    requireAdmin(req, adminToken);
    const apps = await core.store.apps.list();
    return { apps: apps.map(({ secret: _secret, ...rest }) => rest) };
  });
  http.get('/v1/admin/apps/:app', { schema: { ...guard, params: AppParams } }, async (req) => {
    requireAdmin(req, adminToken);
    const app = await core.store.apps.get((req.params as { app: string }).app);
    if (!app) throw Errors.notFound.with('no such app');
    return app;
  });
  http.delete('/v1/admin/apps/:app', { schema: { ...guard, params: AppParams } }, async (req) => {
    requireAdmin(req, adminToken);
    const id = (req.params as { app: string }).app;
    if (!(await core.store.apps.delete(id))) throw Errors.notFound.with('no such app');
    core.apps.forget(id);
    // Every node forgets the app and closes its live connections (terminal 3503 "app deleted").
    await core.broker.publish(CONTROL_TOPIC, encodeEvent('d', 0, id));
    return { deleted: true };
  });
}
