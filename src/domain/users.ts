import type { Core } from './context.ts';
import type { UserQuery, UserRecord } from '../store/store.ts';
import { Errors } from '../errors.ts';
import type { UserView, UserPage } from '../protocol/results.ts';
import { hashPassword } from '../auth/passwords.ts';

type Fields = Record<string, unknown>;

export type { UserView };

/** Who is asking: a user of the app (by id) or the app's backend (server API). */
export type Viewer = { user: string } | 'backend';

export function userView(u: UserRecord, viewer: Viewer): UserView {
  if (u.deletedAt !== undefined) return { user: u.userId, profile: {}, deleted: true };
  const own = viewer === 'backend' || viewer.user === u.userId;
  const v: UserView = own ? { user: u.userId, profile: u.profile, privateProfile: u.privateProfile } : { user: u.userId, profile: u.profile };
  if (viewer === 'backend' && u.disabledAt !== undefined) v.disabled = true;
  return v;
}

export async function register(core: Core, app: string, user: string, password: string, profile: Fields = {}, privateProfile: Fields = {}): Promise<UserView> {
  const p = await core.hooks.before('beforeRegister', { app, user, profile, privateProfile });
  if (await core.store.users.get(app, user)) throw Errors.conflict.with(`user "${user}" already exists`);
  const rec: UserRecord = {
    appId: app, userId: user, passwordHash: await hashPassword(password), profile: p.profile, privateProfile: p.privateProfile, createdAt: Date.now(),
  };
  await core.store.users.create(rec);
  return userView(rec, { user });
}

/** Users an app's backend manages itself have no password; they are created on first token. */
export async function ensureUser(core: Core, app: string, user: string): Promise<void> {
  if (await core.store.users.get(app, user)) return;
  try {
    await core.store.users.create({ appId: app, userId: user, passwordHash: null, profile: {}, privateProfile: {}, createdAt: Date.now() });
  } catch (err) {
    if (!(err instanceof Error && (err as { code?: number }).code === Errors.conflict.code)) throw err; // raced with another create: fine
  }
}

export async function getUser(core: Core, app: string, user: string, viewer: Viewer): Promise<UserView> {
  const u = await core.store.users.get(app, user);
  if (!u) throw Errors.notFound.with(`user "${user}" does not exist`);
  return userView(u, viewer);
}

/** Replaces the public and/or private profile (each one given) of `user`; answers with the full view. */
export async function updateProfile(core: Core, app: string, user: string, parts: { profile?: Fields; privateProfile?: Fields }): Promise<UserView> {
  if (!parts.profile && !parts.privateProfile) throw Errors.badRequest.with('give profile and/or privateProfile');
  if ((await core.store.users.get(app, user))?.deletedAt !== undefined) throw Errors.notFound.with(`user "${user}" was deleted`);
  if (!(await core.store.users.updateProfile(app, user, parts))) throw Errors.notFound.with(`user "${user}" does not exist`);
  return getUser(core, app, user, 'backend');
}

/**
 * Search by id prefix and/or one public profile field. Users see public profiles only and cannot
 * filter on private fields; listing everyone (no prefix, no field) needs the app setting
 * `userListing`. The backend sees everything and may filter on a private field (`private: true`).
 */
export async function searchUsers(core: Core, app: string, q: Omit<UserQuery, 'limit'> & { limit?: number }, viewer: Viewer): Promise<UserPage> {
  if ((q.field === undefined) !== (q.value === undefined)) throw Errors.badRequest.with('field and value go together');
  if (viewer !== 'backend') {
    if (q.private) throw Errors.permissionDenied.with('private profile fields are not searchable');
    if (!q.prefix && q.field === undefined && !(await core.apps.get(app))?.settings.userListing) {
      throw Errors.permissionDenied.with('listing users is off for this app: give an id prefix or a profile field');
    }
  }
  const page = await core.store.users.search(app, { ...q, limit: Math.min(q.limit ?? 20, 100) });
  const users = page.items.map((u) => userView(u, viewer));
  return page.next ? { users, next: page.next } : { users };
}
