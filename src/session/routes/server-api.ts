import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Core } from '../../domain/context.ts';
import * as H from '../../protocol/http.ts';
import * as R from '../../protocol/results.ts';
import { UserUpdateBody } from '../../protocol/schemas.ts';
import { requireApiKey } from '../guards.ts';
import { mintToken } from '../../auth/tokens.ts';
import { ensureUser, searchUsers, getUser, updateProfile } from '../../domain/users.ts';
import * as channels from '../../domain/channels.ts';
import { publish, history, BACKEND } from '../../domain/messages.ts';
import { unreadCounts } from '../../domain/unread.ts';
import { Errors } from '../../errors.ts';
import { requireActiveUser } from '../../domain/user-state.ts';

/** The app's backend, authenticated by the app secret (X-API-Key): publish, channels, history, users, tokens. */
export function serverApiRoutes(base: FastifyInstance, core: Core): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  const s = { security: [{ apiKey: [] }], tags: ['server'] };
  const onApp = { ...s, params: H.AppParams };
  const onChannel = { ...s, params: H.ChannelParams };
  const onUser = { ...s, params: H.UserParams };

  http.post('/v1/apps/:app/tokens', { schema: { ...onApp, summary: 'Mint a connection token for a user (created on first use)', body: H.TokenBody, response: { 200: H.TokenResult } } }, async (req) => {
    const app = await requireApiKey(core, req, req.params.app);
    const b = req.body;
    await ensureUser(core, app.id, b.user);
    await requireActiveUser(core, app.id, b.user);
    const ttlSec = b.ttlSec ?? core.config.accessTokenTtlSec;
    const { token } = await mintToken(app.secret, { app: app.id, user: b.user, device: b.device, info: b.info, ttlSec });
    return { token, expiresIn: ttlSec };
  });
  http.post('/v1/apps/:app/publish', { schema: { ...onApp, summary: 'Publish into a channel (stored, then delivered)', body: H.ServerPublishBody, response: { 200: R.PublishAck } } }, async (req) => {
    const { app } = req.params;
    await requireApiKey(core, req, app);
    const b = req.body;
    return publish(core, app, { ...BACKEND, app, user: b.sender ?? '' }, b);
  });
  http.post('/v1/apps/:app/channels', { schema: { ...onApp, summary: 'Create a channel', body: H.ServerChannelCreateBody, response: { 201: R.ChannelView } } }, async (req, reply) => {
    const { app } = req.params;
    await requireApiKey(core, req, app);
    return reply.status(201).send(await channels.createChannel(core, app, null, req.body));
  });
  http.get('/v1/apps/:app/channels/:channel', { schema: { ...onChannel, summary: 'A channel with its members', response: { 200: R.ChannelView } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return channels.getChannel(core, req.params.app, null, req.params.channel);
  });
  http.patch('/v1/apps/:app/channels/:channel', { schema: { ...onChannel, summary: "Replace a channel's data", body: H.ChannelDataBody, response: { 200: R.ChannelView } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return channels.updateChannel(core, req.params.app, null, req.params.channel, req.body.data);
  });
  http.delete('/v1/apps/:app/channels/:channel', { schema: { ...onChannel, summary: 'Delete a channel and its messages', response: { 200: H.Deleted } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    await channels.deleteChannel(core, req.params.app, null, req.params.channel);
    return { deleted: true as const };
  });
  http.post('/v1/apps/:app/channels/:channel/members', { schema: { ...onChannel, summary: 'Add members', body: H.UsersBody, response: { 200: H.Added } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return { added: await channels.addMembers(core, req.params.app, null, req.params.channel, req.body.users) };
  });
  http.delete('/v1/apps/:app/channels/:channel/members', { schema: { ...onChannel, summary: 'Remove members (they get unsubscribe 2000)', body: H.UsersBody, response: { 200: H.Removed } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return { removed: await channels.removeMembers(core, req.params.app, null, req.params.channel, req.body.users) };
  });
  http.get('/v1/apps/:app/channels/:channel/history', { schema: { ...onChannel, summary: 'A page of stored messages (after or before an offset)', querystring: H.HistoryQuery, response: { 200: R.HistoryPage } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    const q = req.query;
    if (q.after !== undefined && q.before !== undefined) throw Errors.badRequest.with('use after or before, not both');
    return history(core, req.params.app, req.params.channel, q);
  });
  http.get('/v1/apps/:app/channels/:channel/presence', { schema: { ...onChannel, summary: 'Connections in a channel, cluster-wide', response: { 200: H.Presence } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    await core.channels.require(req.params.app, req.params.channel);
    return { presence: await core.presence.get(req.params.app, req.params.channel) };
  });
  http.get('/v1/apps/:app/users', { schema: { ...onApp, summary: 'Search users (private fields with private=true)', querystring: H.UsersQuery, response: { 200: R.UserPage } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return searchUsers(core, req.params.app, req.query, 'backend');
  });
  http.get('/v1/apps/:app/users/:user', { schema: { ...onUser, summary: 'A user with public and private profile', response: { 200: R.UserView } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return getUser(core, req.params.app, req.params.user, 'backend');
  });
  http.patch('/v1/apps/:app/users/:user', { schema: { ...onUser, summary: "Replace a user's public and/or private profile", body: UserUpdateBody, response: { 200: R.UserView } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return updateProfile(core, req.params.app, req.params.user, req.body);
  });
  http.get('/v1/apps/:app/users/:user/unread', { schema: { ...onUser, summary: "A user's unread counts", response: { 200: H.UnreadCounts } } }, async (req) => {
    await requireApiKey(core, req, req.params.app);
    return { channels: await unreadCounts(core, req.params.app, req.params.user) };
  });
}
