import type { Client } from '../client.ts';
import type { ConnectRequest, ConnectResult, SubscribeResult } from '../../protocol/types.ts';
import { verifyToken } from '../../auth/tokens.ts';
import { replyFrame } from '../../protocol/frames.ts';
import { Errors, XPushError } from '../../errors.ts';
import { Disconnects } from '../../disconnect.ts';
import { prepareSubscribe, type Prepared } from './subscribe.ts';
import { REPLIED } from './replied.ts';

export const SERVER_VERSION = '0.1.0';

/**
 * connect: verify the token (3500 if bad, error 109 if expired so the SDK refreshes), check the
 * device session was not logged out, run beforeConnect, then register with the hub and — when asked
 * with `data.auto_subscribe` — subscribe server-side to every channel the user is a member of,
 * recovering from the positions the SDK sent in `subs`.
 */
export async function connect(c: Client, body: Record<string, unknown>, id: number): Promise<unknown> {
  const req = body as ConnectRequest;
  const { core, hub } = c.ctx;
  let t;
  try {
    t = await verifyToken(core.apps, req.token);
  } catch (err) {
    if (err instanceof XPushError && err.code === Errors.tokenExpired.code) throw err;
    throw { code: Disconnects.invalidToken.code, reason: `invalid token: ${(err as Error).message}`.slice(0, 120) };
  }
  if (t.session) {
    const s = await core.store.sessions.get(t.app, t.session);
    if (!s || s.revokedAt !== null) throw { code: Disconnects.invalidToken.code, reason: 'invalid token: device logged out' };
  }
  const data = isObject(req.data) ? req.data : {};
  const actor = { app: t.app, user: t.user, device: t.device, client: c.id };
  let info = t.info;
  if (core.hooks.has('beforeConnect')) info = (await core.hooks.before('beforeConnect', { ...actor, info, data })).info;
  if (c.closed) return REPLIED;
  c.app = t.app;
  c.user = t.user;
  c.device = t.device;
  c.session = t.session;
  c.info = info;
  c.expiresAt = t.exp * 1000;
  c.autoSubscribe = data.auto_subscribe === true;
  c.connected = true;
  await hub.addClient(c);

  const subs: Record<string, SubscribeResult> = {};
  const prepared: Prepared[] = [];
  if (c.autoSubscribe) {
    const wanted = isObject(req.subs) ? (req.subs as Record<string, Record<string, unknown>>) : {};
    for (const ch of await core.store.channels.listForUser(c.app, c.user)) {
      const w = isObject(wanted[ch.name]) ? wanted[ch.name]! : {};
      try {
        const p = await prepareSubscribe(c, ch.name, { recover: w.recover === true, offset: num(w.offset), epoch: typeof w.epoch === 'string' ? w.epoch : undefined, join_leave: true }, true);
        subs[ch.name] = p.result;
        prepared.push(p);
      } catch (err) {
        core.log.warn({ err, channel: ch.name }, 'auto-subscribe failed');
      }
    }
  }
  const replyData: Record<string, unknown> = { user: c.user, device: c.device, node: core.nodeId };
  if (data.unread === true) {
    const unread: Record<string, number> = {};
    for (const p of await core.store.reads.positions(c.app, c.user)) unread[p.channel] = p.unread;
    replyData.unread = unread;
  }
  const cfg = core.config;
  const result: ConnectResult = {
    client: c.id,
    version: SERVER_VERSION,
    expires: true,
    ttl: Math.max(1, Math.floor((c.expiresAt - Date.now()) / 1000)),
    data: replyData,
    ping: Math.max(1, Math.round(cfg.pingIntervalMs / 1000)),
    pong: true,
    node: core.nodeId,
  };
  if (c.autoSubscribe) result.subs = subs;
  c.push(replyFrame(id, 'connect', result));
  for (const p of prepared) p.finish();
  core.hooks.after('afterConnect', actor);
  return REPLIED;
}

/** refresh: a new token for the same app and user extends the connection. */
export async function refresh(c: Client, body: Record<string, unknown>): Promise<unknown> {
  let t;
  try {
    t = await verifyToken(c.ctx.core.apps, body.token);
  } catch (err) {
    if (err instanceof XPushError && err.code === Errors.tokenExpired.code) throw Disconnects.connectionExpired;
    throw { code: Disconnects.invalidToken.code, reason: 'invalid token' };
  }
  if (t.app !== c.app || t.user !== c.user) throw { code: Disconnects.invalidToken.code, reason: 'invalid token: different user' };
  c.expiresAt = t.exp * 1000;
  return { client: c.id, version: SERVER_VERSION, expires: true, ttl: Math.max(1, Math.floor((c.expiresAt - Date.now()) / 1000)) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}
