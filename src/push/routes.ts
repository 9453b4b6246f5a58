import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../domain/context.ts';
import * as P from '../protocol/push.ts';
import { AppParams, UserParams, Deleted } from '../protocol/http.ts';
import { requireAdmin, requireApiKey, requireAppKey, requireUser } from '../session/guards.ts';
import { Errors } from '../errors.ts';
import type { PushCredentialsRecord } from '../store/push-store.ts';
import { getMode, listTargets, registerTarget, setMode, unregisterTargets } from './targets.ts';
import { queueDataPush } from './notify.ts';
import { putApns, putFcm, putWebPush, redact, vapidPublicKey } from './credentials.ts';

/**
 * Push over HTTP: a device's own targets and modes (Bearer access token), the VAPID public key
 * (X-App-Key), a user's targets and data pushes for the app's backend (X-API-Key), and provider
 * credentials for the admin (secrets are write-only).
 */
export function pushRoutes(base: FastifyInstance, core: Core, adminToken: string): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  const me = { security: [{ user: [] }], tags: ['push'], params: AppParams };
  const server = { security: [{ apiKey: [] }], tags: ['push'] };
  const admin = { security: [{ admin: [] }], tags: ['push'] };

  http.get('/v1/apps/:app/push/vapid', { schema: { security: [{ appKey: [] }], tags: ['push'], params: AppParams, summary: "The app's VAPID public key (a browser's applicationServerKey)", response: { 200: P.VapidKey } } }, async (req) => {
    const app = await requireAppKey(core, req, req.params.app);
    return { publicKey: await vapidPublicKey(core.store.push, app.id) };
  });

  // ---- the device itself ----
  http.put('/v1/apps/:app/me/push', { schema: { ...me, summary: "Register this device's push target (Web Push subscription, FCM or APNs token)", body: P.PushRegisterBody, response: { 200: P.PushTargetView } } }, async (req) => {
    const u = await requireUser(core, req, req.params.app);
    return registerTarget(core, u, req.body);
  });
  http.get('/v1/apps/:app/me/push', { schema: { ...me, summary: "This device's push targets", response: { 200: P.PushTargets } } }, async (req) => {
    const u = await requireUser(core, req, req.params.app);
    return { targets: await listTargets(core, u.app, u.user, u.device) };
  });
  http.delete('/v1/apps/:app/me/push', { schema: { ...me, summary: "Remove this device's push targets (one kind with ?kind=)", querystring: P.PushUnregisterBody, response: { 200: P.PushRemoved } } }, async (req) => {
    const u = await requireUser(core, req, req.params.app);
    return { removed: await unregisterTargets(core, u, req.query.kind) };
  });
  const onMode = { ...me, params: P.ModeParams };
  http.get('/v1/apps/:app/me/push/channels/:channel', { schema: { ...onMode, summary: "The user's push mode in a channel", response: { 200: P.PushModeView } } }, async (req) => {
    const u = await requireUser(core, req, req.params.app);
    return getMode(core, u.app, u.user, req.params.channel);
  });
  http.put('/v1/apps/:app/me/push/channels/:channel', { schema: { ...onMode, summary: "Set the user's push mode in a channel (all, mentions, none, default)", body: P.ModeBody, response: { 200: P.PushModeView } } }, async (req) => {
    const u = await requireUser(core, req, req.params.app);
    return setMode(core, u.app, u.user, req.params.channel, req.body.mode);
  });

  // ---- the app's backend ----
  http.get('/v1/apps/:app/users/:user/push', { schema: { ...server, params: UserParams, summary: "A user's push targets (all devices)", response: { 200: P.PushTargets } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return { targets: await listTargets(core, req.params.app, req.params.user) };
  });
  http.delete('/v1/apps/:app/users/:user/push/:target', { schema: { ...server, params: P.TargetParams, summary: 'Remove one push target of a user', response: { 200: P.PushRemoved } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    const { app, user, target } = req.params;
    const owned = (await core.store.push.targets(app, [user])).some((t) => t.id === target);
    if (!owned) throw Errors.notFound.with(`user ${user} has no push target ${target}`);
    return { removed: (await core.store.push.removeTargets(app, { id: target })).length };
  });
  http.post('/v1/apps/:app/push', { schema: { ...server, params: AppParams, summary: 'Data-only push to every device of these users', body: P.ServerPushBody, response: { 200: P.ServerPushResult } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return { queued: await queueDataPush(core, req.params.app, req.body) };
  });

  // ---- admin: provider credentials ----
  const appExists = async (id: string): Promise<void> => {
    if (!(await core.store.apps.get(id))) throw Errors.notFound.with('no such app');
  };
  const changed = (rec: PushCredentialsRecord) => {
    core.push?.forget(rec.appId);
    return redact(rec);
  };
  http.get('/v1/admin/apps/:app/push', { schema: { ...admin, params: AppParams, summary: "An app's push providers (secrets as fingerprints)", response: { 200: P.ProviderViews } } }, async (req) => {
    requireAdmin(req, adminToken);
    await appExists(req.params.app);
    return { providers: (await core.store.push.credentials(req.params.app)).map(redact) };
  });
  http.put('/v1/admin/apps/:app/push/webpush', { schema: { ...admin, params: AppParams, summary: 'Web Push: VAPID subject, or your own key pair', body: P.WebPushConfigBody, response: { 200: P.ProviderView } } }, async (req) => {
    requireAdmin(req, adminToken);
    await appExists(req.params.app);
    return changed(await putWebPush(core.store.push, req.params.app, req.body));
  });
  http.put('/v1/admin/apps/:app/push/fcm', { schema: { ...admin, params: AppParams, summary: 'FCM: the Firebase service account', body: P.FcmConfigBody, response: { 200: P.ProviderView } } }, async (req) => {
    requireAdmin(req, adminToken);
    await appExists(req.params.app);
    return changed(await putFcm(core.store.push, req.params.app, req.body));
  });
  http.put('/v1/admin/apps/:app/push/apns', { schema: { ...admin, params: AppParams, summary: 'APNs: token-auth key (.p8), key id, team id, topic', body: P.ApnsConfigBody, response: { 200: P.ProviderView } } }, async (req) => {
    requireAdmin(req, adminToken);
    await appExists(req.params.app);
    return changed(await putApns(core.store.push, req.params.app, req.body));
  });
  http.delete('/v1/admin/apps/:app/push/:provider', { schema: { ...admin, params: P.ProviderParams, summary: 'Remove a provider (its pushes stop)', response: { 200: Deleted } } }, async (req) => {
    requireAdmin(req, adminToken);
    if (!(await core.store.push.deleteCredentials(req.params.app, req.params.provider))) throw Errors.notFound.with(`no ${req.params.provider} provider for this app`);
    core.push?.forget(req.params.app);
    return { deleted: true as const };
  });
}
