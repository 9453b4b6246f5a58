import type { Conn } from '../conn.ts';
import type { ConnectRequest, ConnectResult, SubscribeResult } from '../../protocol/types.ts';
import type { Core } from '../../domain/context.ts';
import { verifyToken, type VerifiedToken } from '../../auth/tokens.ts';
import { requireLiveSession } from '../../domain/auth.ts';
import { OutFrame } from '../out-frame.ts';
import { reply } from '../../protocol/frames.ts';
import { Errors, XPushError } from '../../errors.ts';
import { Disconnects } from '../../disconnect.ts';
import { prepareSubscribe, type Prepared } from './subscribe.ts';
import { userState } from '../../domain/user-state.ts';
import { admissionRefusal, appLimits, checkConnectRate } from '../../limits/app-limits.ts';
import { REPLIED } from './replied.ts';
import { VERSION } from '../../version.ts';

export const SERVER_VERSION = VERSION;

/**
 * A connection token, checked: signature and expiry (error 109 when only expired, so the SDK fetches
 * a new one), then the device session behind it must still be live (logout, refresh-token reuse and
 * session revocation end it), and the user must not be disabled or deleted (3503). Anything else
 * wrong is disconnect 3500 (the SDK stops).
 */
async function checkToken(core: Core, token: unknown): Promise<VerifiedToken> {
  let t: VerifiedToken;
  try {
    t = await verifyToken(core.apps, token);
  } catch (err) {
    if (err instanceof XPushError && err.code === Errors.tokenExpired.code) throw err;
    throw Disconnects.invalidToken.with(`invalid token: ${(err as Error).message}`);
  }
  if (t.session) {
    try {
      await requireLiveSession(core, t.app, t.session, t.user, t.device);
    } catch {
      throw Disconnects.invalidToken.with('invalid token: device session ended (logged out, revoked or expired)');
    }
  }
  const state = await userState(core, t.app, t.user);
  if (state === 'disabled') throw Disconnects.userDisabled;
  if (state === 'deleted') throw Disconnects.userDeleted;
  return t;
}

/**
 * connect: check the token, run beforeConnect, then register with the hub and — when asked with
 * `data.auto_subscribe` — subscribe server-side to every channel the user is a member of,
 * recovering from the positions the SDK sent in `subs`.
 */
export async function connect(c: Conn, body: Record<string, unknown>, id: number): Promise<unknown> {
  const req = body as ConnectRequest;
  const { core, hub, proxies } = c.ctx;
  // No token: the app's connect proxy (if it has one) authenticates instead (docs/proxies.md).
  const viaProxy = req.token ? undefined : await proxies.connect(c, req);
  const t = viaProxy?.identity ?? await checkToken(core, req.token);
  const limits = await appLimits(core, t.app);
  await checkConnectRate(core, t.app, c.ip, limits);
  const data = isObject(req.data) ? req.data : {};
  const actor = { app: t.app, user: t.user, device: t.device, client: c.id };
  let info = t.info;
  if (core.hooks.has('beforeConnect')) info = (await core.hooks.before('beforeConnect', { ...actor, info, data })).info;
  if (c.closed) return REPLIED;
  // Counted and registered cluster-wide in one step (user presence), so connects racing on several
  // nodes cannot pass the connection limits together.
  const admission = await core.userPresence.connected(t.app, t.user, c.id, { perUser: limits.maxConnectionsPerUser, perApp: limits.maxConnectionsPerApp });
  if (!admission.admitted) throw admissionRefusal(admission);
  if (c.closed) {
    await core.userPresence.disconnected(t.app, t.user, c.id);
    return REPLIED;
  }
  c.authenticate({ app: t.app, user: t.user, device: t.device, session: t.session, info, expiresAt: t.exp * 1000, autoSubscribe: data.auto_subscribe === true, limits });
  if (viaProxy) proxies.expiry.connection(c, t.exp);
  await hub.addClient(c);

  const subs: Record<string, SubscribeResult> = {};
  const prepared: Prepared[] = [];
  if (data.auto_subscribe === true) {
    // The user's channels, plus any other channel named in `subs` that the user may read (an open
    // channel a dashboard follows); each recovers from the position sent for it.
    const wanted = isObject(req.subs) ? (req.subs as Record<string, Record<string, unknown>>) : {};
    const names = new Set((await core.store.channels.listForUser(c.app, c.user)).map((ch) => ch.name));
    const extra = Object.keys(wanted).filter((n) => !names.has(n)).slice(0, limits.maxChannelsPerConnection);
    for (const name of [...names, ...extra]) {
      const w = isObject(wanted[name]) ? wanted[name]! : {};
      try {
        const p = await prepareSubscribe(c, name, { recover: w.recover === true, offset: num(w.offset), epoch: typeof w.epoch === 'string' ? w.epoch : undefined, join_leave: true }, true);
        subs[name] = p.result;
        prepared.push(p);
      } catch (err) {
        if (names.has(name)) core.log.warn({ err, channel: name }, 'auto-subscribe failed');
      }
    }
  }
  // Channels the connect proxy named: server-side subscriptions (XPUSH's access rules still apply).
  for (const name of viaProxy?.channels ?? []) {
    if (c.subs.has(name)) continue;
    try {
      const p = await prepareSubscribe(c, name, { join_leave: true }, true);
      subs[name] = p.result;
      prepared.push(p);
    } catch (err) {
      core.log.warn({ err, channel: name }, 'connect proxy channel: subscribe failed');
    }
  }
  // The proxy's `data` (an object) is merged under XPUSH's own fields.
  const fromProxy = viaProxy && isObject(viaProxy.data) ? viaProxy.data : {};
  const replyData: Record<string, unknown> = { ...fromProxy, user: c.user, device: c.device, node: core.nodeId };
  if (data.unread === true) {
    const unread: Record<string, number> = {};
    for (const p of await core.store.reads.positions(c.app, c.user)) unread[p.channel] = p.unread;
    replyData.unread = unread;
  }
  const cfg = core.config;
  const result: ConnectResult = {
    client: c.id,
    version: SERVER_VERSION,
    // A proxy-authenticated client holds no token to refresh: the server refreshes it (proxy/expiry.ts).
    ...(viaProxy ? {} : { expires: true, ttl: ttlOf(t.exp * 1000) }),
    data: replyData,
    ping: Math.max(1, Math.round(cfg.pingIntervalMs / 1000)),
    // Unidirectional consumers cannot answer pings (Centrifugo announces pong for bidirectional transports only).
    pong: c.transport.bidirectional,
    node: core.nodeId,
  };
  if (c.transport.emulation) result.session = c.emulationSession;
  if (data.auto_subscribe === true || prepared.length > 0) result.subs = subs;
  // Unidirectional clients get the result as a `connect` push (they sent no command to reply to).
  c.push(OutFrame.reply(c.transport.bidirectional ? reply(id, 'connect', result) : { push: { connect: result } }));
  for (const p of prepared) p.finish();
  core.hooks.after('afterConnect', actor);
  return REPLIED;
}

/**
 * refresh: a new token for the same connection extends it. It must name the same app, user, device
 * and device session as the connection, and that session must still be live.
 */
export async function refresh(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  let t: VerifiedToken;
  try {
    t = await checkToken(c.ctx.core, body.token);
  } catch (err) {
    if (err instanceof XPushError && err.code === Errors.tokenExpired.code) throw Disconnects.connectionExpired;
    throw err;
  }
  if (t.app !== c.app || t.user !== c.user || t.device !== c.device || t.session !== c.session) {
    throw Disconnects.invalidToken.with('invalid token: not for this connection (app, user, device or session differ)');
  }
  c.extend(t.exp * 1000);
  return { client: c.id, version: SERVER_VERSION, expires: true, ttl: ttlOf(t.exp * 1000) };
}

function ttlOf(expiresAt: number): number {
  return Math.max(1, Math.floor((expiresAt - Date.now()) / 1000));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}
