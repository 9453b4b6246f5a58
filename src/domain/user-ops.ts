import type { Core } from './context.ts';
import { Errors } from '../errors.ts';
import { Disconnects, type Disconnect } from '../disconnect.ts';
import { encodeEvent, userTopic } from '../protocol/events.ts';
import { disconnectConnections } from './kick.ts';
import { Push } from '../protocol/frames.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { appLimits } from '../limits/app-limits.ts';
import { loginGate } from './login-throttle.ts';
import { logout } from './auth.ts';

/**
 * User-level operations (docs/http-api.md "Users: operations"): sending to a user, disconnecting,
 * revoking sessions, disabling, deleting, passwords. Connections are closed through the broker
 * (every node closes its own), sessions through the store.
 */

/** `type` values of XPUSH's own `message` pushes (docs/protocol.md): the SDK would take such a message for one of them. */
const RESERVED_TYPES = new Set(['read', 'member.added', 'member.removed']);

/**
 * Sends `data` to every connection of the user on every node, as a `message` push (no channel, not
 * stored: a user offline now never gets it). Answers whether the user is online, so the backend can
 * fall back to another route (push notifications).
 */
export async function sendToUser(core: Core, app: string, user: string, data: unknown): Promise<{ online: boolean }> {
  const t = data && typeof data === 'object' && !Array.isArray(data) ? (data as { type?: unknown }).type : undefined;
  if (typeof t === 'string' && RESERVED_TYPES.has(t)) throw Errors.badRequest.with(`data.type "${t}" is reserved for XPUSH's own pushes`);
  const json = JSON.stringify(Push.message(data ?? null));
  const max = (await appLimits(core, app)).maxMessageBytes;
  const size = Buffer.byteLength(JSON.stringify(data ?? null));
  if (size > max) throw Errors.limitExceeded.with(`message data is ${size} bytes; the limit is ${max}`);
  await core.broker.publish(userTopic(app, user), encodeEvent('m', 0, json));
  return { online: (await core.userPresence.online(app, [user])).has(user) };
}

function closeUser(core: Core, app: string, user: string, d: Disconnect): Promise<void> {
  return disconnectConnections(core, app, { user }, d);
}

/** Ends the given device sessions: their sockets close (3503 "logged out"), their refresh tokens stop working. */
async function endSessions(core: Core, app: string, user: string, sessions: string[]): Promise<void> {
  for (const s of sessions) await core.broker.publish(userTopic(app, user), encodeEvent('o', 0, s));
}

/**
 * Revokes every device session of the user (all must log in again). Connections made with tokens
 * the backend minted have no session and stay; close them with `disconnect`.
 */
export async function revokeSessions(core: Core, app: string, user: string): Promise<number> {
  await requireUserRow(core, app, user);
  const ids = await core.store.sessions.revokeForUser(app, user, Date.now());
  await endSessions(core, app, user, ids);
  return ids.length;
}

/**
 * Disables (no login, refresh, token or connect; every session revoked, every connection closed
 * with 3503 "user disabled") or enables a user. Enabling restores nothing: the user logs in again.
 */
export async function setDisabled(core: Core, app: string, user: string, disabled: boolean): Promise<void> {
  if (!(await core.store.users.setDisabled(app, user, disabled ? Date.now() : null))) throw Errors.notFound.with(`user "${user}" does not exist`);
  if (!disabled) return;
  await core.store.sessions.revokeForUser(app, user, Date.now());
  await closeUser(core, app, user, Disconnects.userDisabled);
}

/**
 * Deletes a user: profile, password, sessions, memberships, read positions and groups go; the id
 * stays taken (a tombstone) and the user's messages stay in their channels, still naming the user
 * (`user.get` then answers `deleted: true`). Every connection closes with 3503 "user deleted".
 */
export async function deleteUser(core: Core, app: string, user: string): Promise<void> {
  if (!(await core.store.users.delete(app, user, Date.now()))) throw Errors.notFound.with(`user "${user}" does not exist`);
  await closeUser(core, app, user, Disconnects.userDeleted);
}

/** The backend sets a new password; every session of the user is revoked (log in with the new one). */
export async function resetPassword(core: Core, app: string, user: string, password: string): Promise<number> {
  if (!(await core.store.users.setPassword(app, user, await hashPassword(password)))) throw Errors.notFound.with(`user "${user}" does not exist`);
  const ids = await core.store.sessions.revokeForUser(app, user, Date.now());
  await endSessions(core, app, user, ids);
  return ids.length;
}

/**
 * The user changes their own password, proving the old one (throttled like a login). Every other
 * session of the user is revoked — whoever knew the old password is logged out — and the calling
 * device stays logged in.
 */
export async function changePassword(core: Core, app: string, user: string, session: string, oldPassword: string, newPassword: string, ip: string): Promise<number> {
  const gate = await loginGate(core, app, user, ip);
  const u = await core.store.users.get(app, user);
  if (!u || u.passwordHash === null) throw Errors.badRequest.with('this user has no password (managed by the app backend)');
  if (!(await verifyPassword(u.passwordHash, oldPassword))) throw Errors.unauthorized.with('wrong password');
  await gate.succeeded();
  if (!(await core.store.users.setPassword(app, user, await hashPassword(newPassword)))) throw Errors.notFound.with(`user "${user}" does not exist`);
  const ids = await core.store.sessions.revokeForUser(app, user, Date.now(), session);
  await endSessions(core, app, user, ids);
  return ids.length;
}

/** Logs out one of the user's own devices (any session of theirs, this one included). */
export async function revokeOwnSession(core: Core, app: string, user: string, session: string): Promise<void> {
  const s = await core.store.sessions.get(app, session);
  if (!s || s.userId !== user || s.revokedAt !== null) throw Errors.notFound.with('no such device session');
  await logout(core, app, user, session);
}

async function requireUserRow(core: Core, app: string, user: string): Promise<void> {
  const u = await core.store.users.get(app, user);
  if (!u || u.deletedAt !== undefined) throw Errors.notFound.with(`user "${user}" does not exist`);
}
