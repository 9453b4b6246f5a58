import type { Core } from './context.ts';
import type { SessionRecord } from '../store/store.ts';
import { Errors } from '../errors.ts';
import type { LoginResult } from '../protocol/http.ts';
import { verifyPassword, burnPasswordTime } from '../auth/passwords.ts';
import { mintToken, newRefreshToken, randomId, sha256 } from '../auth/tokens.ts';
import { encodeEvent, userTopic } from '../protocol/events.ts';
import { loginGate } from './login-throttle.ts';
import { requireActiveUser } from './user-state.ts';
import { forgetDevice } from '../push/targets.ts';

export type { LoginResult };

/**
 * Password login from one device: a new device session (the user may hold many at once). Throttled
 * per (user, client IP) and per IP before any password work (login-throttle.ts).
 */
export async function login(core: Core, app: string, user: string, password: string, device: string, pushToken?: string, ip = 'unknown'): Promise<LoginResult> {
  const gate = await loginGate(core, app, user, ip);
  const u = await core.store.users.get(app, user);
  // An unknown user and a user without a password (created by the app's backend) cost the same
  // argon2 work as a wrong password: the answer's timing must not tell which it was.
  if (!u || u.passwordHash === null) {
    await burnPasswordTime(password);
    throw Errors.unauthorized.with('wrong user or password');
  }
  if (!(await verifyPassword(u.passwordHash, password))) throw Errors.unauthorized.with('wrong user or password');
  await gate.succeeded();
  // Told only to someone who knows the password.
  if (u.disabledAt !== undefined) throw Errors.permissionDenied.with('this user is disabled');
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

/**
 * Rotates the refresh token: the presented one is spent. Presenting a spent token again is reuse —
 * one of two holders is not the legitimate one — and revokes the whole session (its sockets close,
 * everyone must log in again). Within `refreshReuseGraceMs` of the rotation it is taken for two
 * refreshes sent at once by one client: 409, nothing revoked. docs/security.md "Tokens".
 */
export async function refresh(core: Core, app: string, refreshToken: string): Promise<LoginResult> {
  const hash = sha256(refreshToken);
  const s = await core.store.sessions.findByRefreshHash(app, hash);
  const now = Date.now();
  if (!s) return reused(core, app, hash, now);
  if (s.revokedAt !== null || s.expiresAt <= now) throw Errors.unauthorized.with('refresh token is invalid, expired or revoked; log in again');
  await requireActiveUser(core, app, s.userId);
  const next = newRefreshToken();
  if (!(await core.store.sessions.rotate(app, s.id, hash, next.hash, now, now + core.config.refreshTokenTtlSec * 1000))) {
    // Another request rotated this very token between our read and our swap.
    return reused(core, app, hash, now);
  }
  const access = await accessToken(core, app, s.userId, s.deviceId, s.id);
  return { accessToken: access, refreshToken: next.token, expiresIn: core.config.accessTokenTtlSec, user: s.userId, device: s.deviceId, session: s.id };
}

/** A refresh hash that is not the current one of a live session: unknown, a benign race, or reuse. */
async function reused(core: Core, app: string, hash: string, now: number): Promise<never> {
  const spent = await core.store.sessions.findRotated(app, hash);
  if (!spent) throw Errors.unauthorized.with('refresh token is invalid, expired or revoked; log in again');
  if (now - spent.rotatedAt < core.config.refreshReuseGraceMs) {
    throw Errors.conflict.with('refresh token was just rotated by a concurrent request; use the refresh token that request returned');
  }
  const s = await core.store.sessions.get(app, spent.sessionId);
  if (s) await endSession(core, app, s.userId, s.id, now, s.deviceId);
  core.log.warn({ app, session: spent.sessionId }, 'refresh token reuse: session revoked');
  throw Errors.unauthorized.with('refresh token was already used: the session is revoked for safety; log in again');
}

/** Ends one device's session: refresh stops working and its live sockets close (3503 "logged out"). */
export async function logout(core: Core, app: string, user: string, session: string): Promise<void> {
  const s = await core.store.sessions.get(app, session);
  if (!s || s.userId !== user) throw Errors.unauthorized.with('no such session');
  await endSession(core, app, user, session, Date.now(), s.deviceId);
}

/** Revokes a session and tells every channel node to close its sockets (broker event 'o'). */
async function endSession(core: Core, app: string, user: string, session: string, at: number, device: string): Promise<void> {
  await core.store.sessions.revoke(app, session, at);
  await forgetDevice(core, app, user, device); // a logged-out device gets no more pushes
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
