import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Core } from '../../domain/context.ts';
import { requireApiKey } from '../guards.ts';
import { AppId, AppParams, UserId } from '../../protocol/schemas.ts';
import { viewOf } from '../../domain/channels.ts';
import { ChannelPage, ChannelsQuery, UserDevices } from '../../protocol/http.ts';
import { Errors } from '../../errors.ts';

/**
 * What an operator browses (app secret): every channel of the app, paged by name, and a user's
 * devices (live login sessions, and devices connected with a backend-minted token) with whether each
 * is connected now. The admin console is built on these.
 */
export function directoryRoutes(http: FastifyInstance, core: Core, onlineDevices: (app: string, user: string) => Promise<Set<string>>): void {
  const s = { security: [{ apiKey: [] }], tags: ['server'] };
  http.get('/v1/apps/:app/channels', {
    schema: {
      ...s, params: AppParams, summary: "The app's channels by name (prefix filter; page with `cursor` = the last `next`)",
      querystring: ChannelsQuery, response: { 200: ChannelPage },
    },
  }, async (req) => {
    const { app } = req.params as { app: string };
    await requireApiKey(core, req, app);
    const q = req.query as { prefix?: string; limit?: number; cursor?: string };
    const page = await core.store.channels.list(app, { prefix: q.prefix, limit: q.limit ?? 50, cursor: q.cursor });
    return { channels: page.items.map((ch) => viewOf(ch)), ...(page.next ? { next: page.next } : {}) };
  });
  http.get('/v1/apps/:app/users/:user/devices', { schema: { ...s, params: Type.Object({ app: AppId, user: UserId }), summary: "A user's devices: login sessions and token-only connections, with whether each is online", response: { 200: UserDevices } } }, async (req) => {
    const { app, user } = req.params as { app: string; user: string };
    await requireApiKey(core, req, app);
    if (!(await core.store.users.get(app, user))) throw Errors.notFound.with(`no user "${user}" in this app`);
    const [sessions, online] = await Promise.all([core.store.sessions.listForUser(app, user, Date.now()), onlineDevices(app, user)]);
    const devices: Record<string, unknown>[] = sessions.map((x) => ({ device: x.deviceId, session: x.id, pushToken: x.pushToken, createdAt: x.createdAt, refreshedAt: x.refreshedAt, expiresAt: x.expiresAt, online: online.has(x.deviceId) }));
    // Connected with a token the backend minted: a device with no login session behind it.
    const withSession = new Set(sessions.map((x) => x.deviceId));
    for (const d of [...online].sort()) if (!withSession.has(d)) devices.push({ device: d, session: null, online: true });
    return { devices };
  });
}
