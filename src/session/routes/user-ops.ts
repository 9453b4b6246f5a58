import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../../domain/context.ts';
import * as H from '../../protocol/http.ts';
import { requireApiKey, requireUser } from '../guards.ts';
import * as ops from '../../domain/user-ops.ts';
import { Errors } from '../../errors.ts';

/**
 * User-level operations (docs/http-api.md): the app's backend (X-API-Key) sends to, disconnects,
 * disables, deletes users and resets passwords; a logged-in user (Bearer) changes their password and
 * logs out their other devices.
 */
export function userOpsRoutes(base: FastifyInstance, core: Core): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  const onUser = { security: [{ apiKey: [] }], tags: ['server'], params: H.UserParams };
  const me = { security: [{ user: [] }], tags: ['auth'] };

  http.post('/v1/apps/:app/users/:user/send', { schema: { ...onUser, summary: "A `message` push to every connection of the user (not stored); answers whether the user is online", body: H.SendBody, response: { 200: H.SendResult } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    const { online } = await ops.sendToUser(core, req.params.app, req.params.user, req.body.data);
    return { sent: true as const, online };
  });
  http.delete('/v1/apps/:app/users/:user/sessions', { schema: { ...onUser, summary: 'Revoke every device session of the user (their sockets close with 3503)', response: { 200: H.RevokedSessions } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return { revokedSessions: await ops.revokeSessions(core, req.params.app, req.params.user) };
  });
  http.post('/v1/apps/:app/users/:user/disable', { schema: { ...onUser, summary: 'Disable a user: no login, refresh or connect; sessions revoked, connections closed (3503)', response: { 200: H.UserDisabled } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    await ops.setDisabled(core, req.params.app, req.params.user, true);
    return { user: req.params.user, disabled: true };
  });
  http.post('/v1/apps/:app/users/:user/enable', { schema: { ...onUser, summary: 'Enable a disabled user (they log in again)', response: { 200: H.UserDisabled } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    await ops.setDisabled(core, req.params.app, req.params.user, false);
    return { user: req.params.user, disabled: false };
  });
  http.delete('/v1/apps/:app/users/:user', { schema: { ...onUser, summary: 'Delete a user (their messages stay, marked as from a deleted user)', response: { 200: H.Deleted } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    await ops.deleteUser(core, req.params.app, req.params.user);
    return { deleted: true as const };
  });
  http.post('/v1/apps/:app/users/:user/password', { schema: { ...onUser, summary: "Set a user's password; every session is revoked", body: H.PasswordBody, response: { 200: H.RevokedSessions } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return { revokedSessions: await ops.resetPassword(core, req.params.app, req.params.user, req.body.password) };
  });

  http.post('/v1/apps/:app/me/password', { schema: { ...me, params: H.AppParams, summary: "Change the caller's password (the old one is required); the user's other sessions are revoked", body: H.ChangePasswordBody, response: { 200: H.RevokedSessions } } }, async (req) => {
    const u = await requireUser(core, req, req.params.app);
    if (!u.session) throw Errors.badRequest.with('this token has no device session (minted by the app backend): the backend sets passwords');
    return { revokedSessions: await ops.changePassword(core, u.app, u.user, u.session, req.body.oldPassword, req.body.newPassword, req.ip) };
  });
  http.delete('/v1/apps/:app/me/devices/:session', { schema: { ...me, params: H.SessionParams, summary: "Log out one of the caller's devices (its sockets close with 3503)", response: { 200: H.Revoked } } }, async (req) => {
    const u = await requireUser(core, req, req.params.app);
    await ops.revokeOwnSession(core, u.app, u.user, req.params.session);
    return { revoked: true as const };
  });
}
