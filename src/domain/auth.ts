import type { Core } from './context.ts';
import type { SessionRecord } from '../store/store.ts';
import { Errors } from '../errors.ts';
import { verifyPassword, burnPasswordTime } from '../auth/passwords.ts';
import { mintToken, newRefreshToken, randomId, sha256 } from '../auth/tokens.ts';
import { encodeEvent, userTopic } from '../broker/topics.ts';

export interface LoginResult {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: string;
  device: string;
  session: string;
}

/** Password login from one device: a new device session (the user may hold many at once). */
export async function login(core: Core, app: string, user: string, password: string, device: string, pushToken?: string): Promise<LoginResult> {
  const u = await core.store.users.get(app, user);
  if (!u) {
    await burnPasswordTime(password);
    throw Errors.unauthorized.with('wrong user or password');
  }
  if (!(await verifyPassword(u.passwordHash, password))) throw Errors.unauthorized.with('wrong user or password');
  const now = Date.now();
  const refresh = newRefreshToken();
  const session = randomId();
  await core.store.sessions.create({
    id: session, appId: app, userId: user, deviceId: device, pushToken: pushToken ?? null, refreshHash: refresh.hash,
    createdAt: now, refreshedAt: now, expiresAt: now + core.config.refreshTokenTtlSec * 1000, revokedAt: null,
  });
  const access = await accessToken(core, app, user, device, session);
  core.hooks.after('afterLogin', { app, user, device, session });
  return { accessToken: access, refreshToken: refresh.token, expiresIn: core.config.accessTokenTtlSec, user, device, session };
}

/** Rotates the refresh token: the presented one stops working, even if two requests race. */
export async function refresh(core: Core, app: string, refreshToken: string): Promise<LoginResult> {
  const hash = sha256(refreshToken);
  const s = await core.store.sessions.findByRefreshHash(app, hash);
  const now = Date.now();
  if (!s || s.revokedAt !== null || s.expiresAt <= now) throw Errors.unauthorized.with('refresh token is invalid, expired or revoked; log in again');
  const next = newRefreshToken();
  if (!(await core.store.sessions.rotate(app, s.id, hash, next.hash, now, now + core.config.refreshTokenTtlSec * 1000))) {
    throw Errors.unauthorized.with('refresh token was already used; log in again');
  }
  const access = await accessToken(core, app, s.userId, s.deviceId, s.id);
  return { accessToken: access, refreshToken: next.token, expiresIn: core.config.accessTokenTtlSec, user: s.userId, device: s.deviceId, session: s.id };
}

/** Ends one device's session: refresh stops working and its live sockets close (3503 "logged out"). */
export async function logout(core: Core, app: string, user: string, session: string): Promise<void> {
  const s = await core.store.sessions.get(app, session);
  if (!s || s.userId !== user) throw Errors.unauthorized.with('no such session');
  await core.store.sessions.revoke(app, session, Date.now());
  await core.broker.publish(userTopic(app, user), encodeEvent('o', 0, session));
}

/**
 * The device session behind an access token (`sid`) must still be live: not logged out, not expired,
 * and the same user and device the token names. Checked on every user-bearer HTTP request (and by the
 * channel server on connect/refresh), so a logout takes effect at once instead of at the token's `exp`.
 */
export async function requireLiveSession(core: Core, app: string, session: string, user: string, device: string): Promise<SessionRecord> {
  const s = await core.store.sessions.get(app, session);
  if (!s || s.revokedAt !== null || s.expiresAt <= Date.now() || s.userId !== user || s.deviceId !== device) {
    throw Errors.unauthorized.with('device session ended (logged out, revoked or expired); log in again');
  }
  return s;
}

async function accessToken(core: Core, app: string, user: string, device: string, session: string): Promise<string> {
  const a = await core.apps.get(app);
  if (!a) throw Errors.unauthorized.with('unknown app');
  return (await mintToken(a.secret, { app, user, device, session, ttlSec: core.config.accessTokenTtlSec })).token;
}
