import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Core } from '../../domain/context.ts';
import * as S from '../../protocol/schemas.ts';
import { requireApiKey } from '../guards.ts';
import { mintToken } from '../../auth/tokens.ts';
import { ensureUser, searchUsers, getUser, updateProfile } from '../../domain/users.ts';
import * as channels from '../../domain/channels.ts';
import { publish, history, BACKEND } from '../../domain/messages.ts';
import { unreadCounts } from '../../domain/unread.ts';
import { Errors } from '../../errors.ts';

const strict = { additionalProperties: false } as const;
const ChannelParams = Type.Object({ app: S.AppId, channel: S.ChannelName });
const Users = Type.Object({ users: S.UserList }, strict);


/** The app's backend, authenticated by the app secret (X-API-Key): publish, channels, history, tokens. */
export function serverApiRoutes(http: FastifyInstance, core: Core): void {
  const s = { security: [{ apiKey: [] }], tags: ['server'] };
  const p = (req: { params: unknown }) => req.params as { app: string; channel: string; user: string };

  http.post('/v1/apps/:app/tokens', { schema: { ...s, params: S.AppParams, body: Type.Object({ user: S.UserId, device: Type.Optional(S.DeviceId), info: Type.Optional(Type.Unknown()), ttlSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 24 * 3600 })) }, strict) } }, async (req) => {
    const app = await requireApiKey(core, req, p(req).app);
    const b = req.body as { user: string; device?: string; info?: unknown; ttlSec?: number };
    await ensureUser(core, app.id, b.user);
    const ttlSec = b.ttlSec ?? core.config.accessTokenTtlSec;
    const { token } = await mintToken(app.secret, { app: app.id, user: b.user, device: b.device, info: b.info, ttlSec });
    return { token, expiresIn: ttlSec };
  });
  http.post('/v1/apps/:app/publish', { schema: { ...s, params: S.AppParams, body: Type.Object({ channel: S.ChannelName, event: Type.Optional(S.EventName), data: Type.Unknown(), id: Type.Optional(S.MessageId), sender: Type.Optional(S.UserId) }, strict) } }, async (req) => {
    const { app } = p(req);
    await requireApiKey(core, req, app);
    const b = req.body as { channel: string; event?: string; data: unknown; id?: string; sender?: string };
    return publish(core, app, { ...BACKEND, app, user: b.sender ?? '' }, b);
  });
  http.post('/v1/apps/:app/channels', { schema: { ...s, params: S.AppParams, body: Type.Object({ channel: S.ChannelName, type: Type.Optional(S.ChannelTypeSchema), members: Type.Optional(S.UserList), data: Type.Optional(Type.Unknown()), owner: Type.Optional(S.UserId) }, strict) } }, async (req, reply) => {
    const { app } = p(req);
    await requireApiKey(core, req, app);
    return reply.status(201).send(await channels.createChannel(core, app, null, req.body as Parameters<typeof channels.createChannel>[3]));
  });
  http.get('/v1/apps/:app/channels/:channel', { schema: { ...s, params: ChannelParams } }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    return channels.getChannel(core, p(req).app, null, p(req).channel);
  });
  http.patch('/v1/apps/:app/channels/:channel', { schema: { ...s, params: ChannelParams, body: Type.Object({ data: Type.Unknown() }, strict) } }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    return channels.updateChannel(core, p(req).app, null, p(req).channel, (req.body as { data: unknown }).data);
  });
  http.delete('/v1/apps/:app/channels/:channel', { schema: { ...s, params: ChannelParams } }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    await channels.deleteChannel(core, p(req).app, null, p(req).channel);
    return { deleted: true };
  });
  http.post('/v1/apps/:app/channels/:channel/members', { schema: { ...s, params: ChannelParams, body: Users } }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    return { added: await channels.addMembers(core, p(req).app, null, p(req).channel, (req.body as { users: string[] }).users) };
  });
  http.delete('/v1/apps/:app/channels/:channel/members', { schema: { ...s, params: ChannelParams, body: Users } }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    return { removed: await channels.removeMembers(core, p(req).app, null, p(req).channel, (req.body as { users: string[] }).users) };
  });
  http.get('/v1/apps/:app/channels/:channel/history', {
    schema: { ...s, params: ChannelParams, querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })), before: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Optional(Type.Integer({ minimum: 0 })) }, strict) },
  }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    const q = req.query as { after?: number; before?: number; limit?: number };
    if (q.after !== undefined && q.before !== undefined) throw Errors.badRequest.with('use after or before, not both');
    return history(core, p(req).app, p(req).channel, q);
  });
  http.get('/v1/apps/:app/channels/:channel/presence', { schema: { ...s, params: ChannelParams } }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    await core.channels.require(p(req).app, p(req).channel);
    return { presence: await core.presence.get(p(req).app, p(req).channel) };
  });
  http.get('/v1/apps/:app/users', {
    schema: { ...s, params: S.AppParams, querystring: Type.Object({ prefix: Type.Optional(Type.String({ maxLength: 128 })), field: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_]+$', maxLength: 64 })), value: Type.Optional(Type.String({ maxLength: 256 })), private: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), cursor: Type.Optional(Type.String({ maxLength: 256 })) }, strict) },
  }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    return searchUsers(core, p(req).app, req.query as Parameters<typeof searchUsers>[2], 'backend');
  });
  const UserParams = Type.Object({ app: S.AppId, user: S.UserId });
  http.get('/v1/apps/:app/users/:user', { schema: { ...s, params: UserParams } }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    return getUser(core, p(req).app, p(req).user, 'backend');
  });
  http.patch('/v1/apps/:app/users/:user', { schema: { ...s, params: UserParams, body: S.UserUpdateBody } }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    return updateProfile(core, p(req).app, p(req).user, req.body as { profile?: Record<string, unknown>; privateProfile?: Record<string, unknown> });
  });
  http.get('/v1/apps/:app/users/:user/unread', { schema: { ...s, params: Type.Object({ app: S.AppId, user: S.UserId }) } }, async (req) => {
    await requireApiKey(core, req, p(req).app);
    return { channels: await unreadCounts(core, p(req).app, p(req).user) };
  });
}
