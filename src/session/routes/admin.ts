import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../domain/context.ts';
import type { AppRecord } from '../../store/store.ts';
import { requireAdmin } from '../guards.ts';
import { Errors } from '../../errors.ts';
import { AppParams } from '../../protocol/schemas.ts';
import { AppName, Deleted } from '../../protocol/http.ts';
import { CONTROL_TOPIC, encodeEvent } from '../../protocol/events.ts';
import { checkLimitOverrides } from '../../limits/app-limits.ts';
import { checkSettingsUrls } from '../../domain/urls.ts';
import { createVapidKeys } from '../../push/credentials.ts';
import { AppSettingsSchema, AppSettingsPatchSchema, applyPatch, DEFAULT_APP_SETTINGS, type AppSettings, type AppSettingsPatch } from '../../protocol/app-settings.ts';

const AppView = Type.Object({ id: Type.String(), name: Type.String(), key: Type.String(), secret: Type.String(), settings: AppSettingsSchema, createdAt: Type.Integer() });
const SettingsResult = Type.Object({ settings: AppSettingsSchema });

/** Creates an app (tenant) with its id, public key and secret. Used by the admin API and `xpush app create`. */
export async function createApp(core: Pick<Core, 'store'>, name: string, settings: AppSettingsPatch = {}): Promise<AppRecord> {
  const initial = applyPatch(DEFAULT_APP_SETTINGS, settings);
  checkSettingsUrls(initial);
  const app: AppRecord = {
    id: 'app_' + randomBytes(6).toString('hex'),
    name,
    key: 'pk_' + randomBytes(16).toString('base64url'),
    secret: 'sk_' + randomBytes(32).toString('base64url'),
    settings: initial,
    createdAt: Date.now(),
  };
  await core.store.apps.create(app);
  // Browsers can subscribe to Web Push from the start: every app gets its own VAPID key pair.
  await createVapidKeys(core.store.push, app.id);
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
  checkLimitOverrides(core.config, settings.limits);
  checkSettingsUrls(settings);
  if (!(await core.store.apps.updateSettings(appId, settings))) throw Errors.notFound.with('no such app');
  core.apps.forget(appId);
  return settings;
}

export function adminRoutes(base: FastifyInstance, core: Core, adminToken: string): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  const guard = { security: [{ admin: [] }], tags: ['admin'] };
  const onApp = { ...guard, params: AppParams };
  http.post('/v1/admin/apps', { schema: { ...guard, summary: 'Create an app: its id, public key and secret', body: Type.Object({ name: AppName, settings: Type.Optional(AppSettingsPatchSchema) }, { additionalProperties: false }), response: { 201: AppView } } }, async (req, reply) => {
    requireAdmin(req, adminToken);
    checkLimitOverrides(core.config, (req.body.settings as AppSettingsPatch | undefined)?.limits);
    return reply.status(201).send(await createApp(core, req.body.name, req.body.settings as AppSettingsPatch | undefined));
  });
  http.get('/v1/admin/apps', { schema: { ...guard, summary: 'Every app (without secrets)', response: { 200: Type.Object({ apps: Type.Array(Type.Omit(AppView, ['secret'])) }) } } }, async (req) => {
    requireAdmin(req, adminToken);
    const apps = await core.store.apps.list();
    return { apps: apps.map(({ secret: _secret, ...rest }) => rest) };
  });
  http.get('/v1/admin/apps/:app', { schema: { ...onApp, summary: 'One app, with its secret', response: { 200: AppView } } }, async (req) => {
    requireAdmin(req, adminToken);
    const app = await core.store.apps.get(req.params.app);
    if (!app) throw Errors.notFound.with('no such app');
    return app;
  });
  http.get('/v1/admin/apps/:app/settings', { schema: { ...onApp, summary: "An app's settings", response: { 200: SettingsResult } } }, async (req) => {
    requireAdmin(req, adminToken);
    const app = await core.store.apps.get(req.params.app);
    if (!app) throw Errors.notFound.with('no such app');
    return { settings: app.settings };
  });
  http.patch('/v1/admin/apps/:app/settings', { schema: { ...onApp, summary: "Change some of an app's settings (nested groups merged)", body: AppSettingsPatchSchema, response: { 200: SettingsResult } } }, async (req) => {
    requireAdmin(req, adminToken);
    return { settings: await updateAppSettings(core, req.params.app, req.body as AppSettingsPatch) };
  });
  http.delete('/v1/admin/apps/:app', { schema: { ...onApp, summary: 'Delete an app and everything it owns; its connections close (3503)', response: { 200: Deleted } } }, async (req) => {
    requireAdmin(req, adminToken);
    const id = req.params.app;
    if (!(await core.store.apps.delete(id))) throw Errors.notFound.with('no such app');
    core.apps.forget(id);
    await core.blobs.deleteApp(id);
    // Every node forgets the app and closes its live connections (terminal 3503 "app deleted").
    await core.broker.publish(CONTROL_TOPIC, encodeEvent('d', 0, id));
    return { deleted: true as const };
  });
}
