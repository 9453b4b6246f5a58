import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../../domain/context.ts';
import * as H from '../../protocol/http.ts';
import { UserView } from '../../protocol/results.ts';
import { requireAppKey, requireUser } from '../guards.ts';
import { register } from '../../domain/users.ts';
import { login, refresh, logout } from '../../domain/auth.ts';
import { Errors } from '../../errors.ts';

/** Users and their devices, from the client side: register, login per device, refresh, logout. */
export function authRoutes(base: FastifyInstance, core: Core, onlineDevices: (app: string, user: string) => Promise<Set<string>>): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  const client = { security: [{ appKey: [] }], tags: ['auth'], params: H.AppParams };
  const user = { security: [{ user: [] }], tags: ['auth'], params: H.AppParams };
  http.post('/v1/apps/:app/users', { schema: { ...client, summary: 'Register a user (password login)', body: H.RegisterBody, response: { 201: UserView } } }, async (req, reply) => {
    const { app } = req.params;
    await requireAppKey(core, req, app);
    const b = req.body;
    return reply.status(201).send(await register(core, app, b.user, b.password, b.profile ?? {}, b.privateProfile ?? {}));
  });
  http.post('/v1/apps/:app/auth/login', { schema: { ...client, summary: 'Log in from one device: access + refresh tokens', body: H.LoginBody, response: { 200: H.LoginResult } } }, async (req) => {
    const { app } = req.params;
    await requireAppKey(core, req, app);
    const b = req.body;
    return login(core, app, b.user, b.password, b.device, b.pushToken, req.ip);
  });
  http.post('/v1/apps/:app/auth/refresh', { schema: { ...client, summary: 'New tokens for a refresh token (rotates it; reuse revokes the session)', body: H.RefreshBody, response: { 200: H.LoginResult } } }, async (req) => {
    const { app } = req.params;
    await requireAppKey(core, req, app);
    return refresh(core, app, req.body.refreshToken);
  });
  http.post('/v1/apps/:app/auth/logout', { schema: { ...user, summary: "End this device's session; its sockets close (3503)", response: { 200: H.Revoked } } }, async (req) => {
    const { app } = req.params;
    const u = await requireUser(core, req, app);
    if (!u.session) throw Errors.badRequest.with('this token has no device session (minted by the app backend); nothing to log out');
    await logout(core, app, u.user, u.session);
    return { revoked: true as const };
  });
  http.get('/v1/apps/:app/me/devices', { schema: { ...user, summary: "The user's logged-in devices and whether each is online", response: { 200: H.Devices } } }, async (req) => {
    const { app } = req.params;
    const u = await requireUser(core, req, app);
    const online = await onlineDevices(app, u.user);
    const sessions = await core.store.sessions.listForUser(app, u.user, Date.now());
    return { devices: sessions.map((s) => ({ device: s.deviceId, session: s.id, pushToken: s.pushToken, createdAt: s.createdAt, online: online.has(s.deviceId) })) };
  });
}
