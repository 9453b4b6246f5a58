import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Core } from '../../domain/context.ts';
import type { AppRecord } from '../../store/store.ts';
import { requireAdmin } from '../guards.ts';
import { Errors } from '../../errors.ts';
import { AppParams } from '../../protocol/schemas.ts';
import { CONTROL_TOPIC, encodeEvent } from '../../protocol/events.ts';
import { AppSettingsPatchSchema, applyPatch, DEFAULT_APP_SETTINGS, type AppSettings, type AppSettingsPatch } from '../../protocol/app-settings.ts';

const AppName = Type.String({ minLength: 1, maxLength: 128 });

/** Creates an app (tenant) with its id, public key and secret. Used by the admin API and `xpush app create`. */
export async function createApp(core: Pick<Core, 'store'>, name: string, settings: AppSettingsPatch = {}): Promise<AppRecord> {
  const app: AppRecord = {
    id: 'app_' + randomBytes(6).toString('hex'),
    name,
    key: 'pk_' + randomBytes(16).toString('base64url'),
    secret: 'sk_' + randomBytes(32).toString('base64url'),
    settings: applyPatch(DEFAULT_APP_SETTINGS, settings),
    createdAt: Date.now(),
  };
  await core.store.apps.create(app);
  return app;
}

/**
 * Applies a settings patch (nested groups merged field by field) and drops this node's cached copy;
 * other nodes see the change within the app cache's TTL (5 s).
 */
export async function updateAppSettings(core: Core, appId: string, patch: AppSettingsPatch): Promise<AppSettings> {
  const app = await core.store.apps.get(appId);
  if (!app) throw Errors.notFound.with('no such app');
  const settings = applyPatch(app.settings, patch);
  if (!(await core.store.apps.updateSettings(appId, settings))) throw Errors.notFound.with('no such app');
  core.apps.forget(appId);
  return settings;
}

export function adminRoutes(http: FastifyInstance, core: Core, adminToken: string): void {
  const guard = { security: [{ admin: [] }], tags: ['admin'] };
  const appOf = (req: { params: unknown }): string => (req.params as { app: string }).app;
  http.post('/v1/admin/apps', { schema: { ...guard, body: Type.Object({ name: AppName, settings: Type.Optional(AppSettingsPatchSchema) }, { additionalProperties: false }) } }, async (req, reply) => {
    requireAdmin(req, adminToken);
    const b = req.body as { name: string; settings?: AppSettingsPatch };
    return reply.status(201).send(await createApp(core, b.name, b.settings));
  });
  http.get('/v1/admin/apps', { schema: guard }, async (req) => {
    requireAdmin(req, adminToken);
    const apps = await core.store.apps.list();
    return { apps: apps.map(({ secret: _secret, ...rest }) => rest) };
  });
  http.get('/v1/admin/apps/:app', { schema: { ...guard, params: AppParams } }, async (req) => {
    requireAdmin(req, adminToken);
    const app = await core.store.apps.get(appOf(req));
    if (!app) throw Errors.notFound.with('no such app');
    return app;
  });
  http.get('/v1/admin/apps/:app/settings', { schema: { ...guard, params: AppParams } }, async (req) => {
    requireAdmin(req, adminToken);
    const app = await core.store.apps.get(appOf(req));
    if (!app) throw Errors.notFound.with('no such app');
    return { settings: app.settings };
  });
  http.patch('/v1/admin/apps/:app/settings', { schema: { ...guard, params: AppParams, body: AppSettingsPatchSchema } }, async (req) => {
    requireAdmin(req, adminToken);
    return { settings: await updateAppSettings(core, appOf(req), req.body as AppSettingsPatch) };
  });
  http.delete('/v1/admin/apps/:app', { schema: { ...guard, params: AppParams } }, async (req) => {
    requireAdmin(req, adminToken);
    const id = appOf(req);
    if (!(await core.store.apps.delete(id))) throw Errors.notFound.with('no such app');
    core.apps.forget(id);
    // Every node forgets the app and closes its live connections (terminal 3503 "app deleted").
    await core.broker.publish(CONTROL_TOPIC, encodeEvent('d', 0, id));
    return { deleted: true };
  });
}
