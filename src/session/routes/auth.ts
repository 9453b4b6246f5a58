import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Core } from '../../domain/context.ts';
import { UserId, DeviceId, Profile, AppParams } from '../../protocol/schemas.ts';
import { requireAppKey, requireUser } from '../guards.ts';
import { register } from '../../domain/users.ts';
import { login, refresh, logout } from '../../domain/auth.ts';
import { Errors } from '../../errors.ts';

const strict = { additionalProperties: false } as const;
const Password = Type.String({ minLength: 8, maxLength: 256 });

/** Users and their devices, from the client side: register, login per device, refresh, logout. */
export function authRoutes(http: FastifyInstance, core: Core, onlineDevices: (app: string, user: string) => Promise<Set<string>>): void {
  const client = { security: [{ appKey: [] }], tags: ['auth'], params: AppParams };
  http.post('/v1/apps/:app/users', { schema: { ...client, body: Type.Object({ user: UserId, password: Password, profile: Type.Optional(Profile), privateProfile: Type.Optional(Profile) }, strict) } }, async (req, reply) => {
    const { app } = req.params as { app: string };
    await requireAppKey(core, req, app);
    const b = req.body as { user: string; password: string; profile?: Record<string, unknown>; privateProfile?: Record<string, unknown> };
    return reply.status(201).send(await register(core, app, b.user, b.password, b.profile ?? {}, b.privateProfile ?? {}));
  });
  http.post('/v1/apps/:app/auth/login', { schema: { ...client, body: Type.Object({ user: UserId, password: Type.String({ maxLength: 256 }), device: DeviceId, pushToken: Type.Optional(Type.String({ maxLength: 4096 })) }, strict) } }, async (req) => {
    const { app } = req.params as { app: string };
    await requireAppKey(core, req, app);
    const b = req.body as { user: string; password: string; device: string; pushToken?: string };
    return login(core, app, b.user, b.password, b.device, b.pushToken, req.ip);
  });
  http.post('/v1/apps/:app/auth/refresh', { schema: { ...client, body: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 256 }) }, strict) } }, async (req) => {
    const { app } = req.params as { app: string };
    await requireAppKey(core, req, app);
    return refresh(core, app, (req.body as { refreshToken: string }).refreshToken);
  });
  http.post('/v1/apps/:app/auth/logout', { schema: { security: [{ user: [] }], tags: ['auth'], params: AppParams } }, async (req) => {
    const { app } = req.params as { app: string };
    const u = await requireUser(core, req, app);
    if (!u.session) throw Errors.badRequest.with('this token has no device session (minted by the app backend); nothing to log out');
    await logout(core, app, u.user, u.session);
    return { revoked: true };
  });
  http.get('/v1/apps/:app/me/devices', { schema: { security: [{ user: [] }], tags: ['auth'], params: AppParams } }, async (req) => {
    const { app } = req.params as { app: string };
    const u = await requireUser(core, req, app);
    const online = await onlineDevices(app, u.user);
    const sessions = await core.store.sessions.listForUser(app, u.user, Date.now());
    return { devices: sessions.map((s) => ({ device: s.deviceId, session: s.id, pushToken: s.pushToken, createdAt: s.createdAt, online: online.has(s.deviceId) })) };
  });
}
