import type { Core } from './context.ts';
import type { UserRecord } from '../store/store.ts';
import { Errors } from '../errors.ts';
import { hashPassword } from '../auth/passwords.ts';

export interface UserView {
  user: string;
  profile: Record<string, unknown>;
}

export const userView = (u: UserRecord): UserView => ({ user: u.userId, profile: u.profile });

export async function register(core: Core, app: string, user: string, password: string, profile: Record<string, unknown> = {}): Promise<UserView> {
  const p = await core.hooks.before('beforeRegister', { app, user, profile });
  if (await core.store.users.get(app, user)) throw Errors.conflict.with(`user "${user}" already exists`);
  const rec: UserRecord = { appId: app, userId: user, passwordHash: await hashPassword(password), profile: p.profile, createdAt: Date.now() };
  await core.store.users.create(rec);
  return userView(rec);
}

/** Users an app's backend manages itself have no password; they are created on first token. */
export async function ensureUser(core: Core, app: string, user: string): Promise<void> {
  if (await core.store.users.get(app, user)) return;
  try {
    await core.store.users.create({ appId: app, userId: user, passwordHash: null, profile: {}, createdAt: Date.now() });
  } catch (err) {
    if (!(err instanceof Error && (err as { code?: number }).code === Errors.conflict.code)) throw err; // raced with another create: fine
  }
}

export async function getUser(core: Core, app: string, user: string): Promise<UserView> {
  const u = await core.store.users.get(app, user);
  if (!u) throw Errors.notFound.with(`user "${user}" does not exist`);
  return userView(u);
}

export async function updateProfile(core: Core, app: string, user: string, profile: Record<string, unknown>): Promise<UserView> {
  if (!(await core.store.users.updateProfile(app, user, profile))) throw Errors.notFound.with(`user "${user}" does not exist`);
  return getUser(core, app, user);
}

export async function searchUsers(core: Core, app: string, q: { prefix?: string; field?: string; value?: string; limit?: number; cursor?: string }): Promise<{ users: UserView[]; next?: string }> {
  if ((q.field === undefined) !== (q.value === undefined)) throw Errors.badRequest.with('field and value go together');
  const page = await core.store.users.search(app, { ...q, limit: Math.min(q.limit ?? 20, 100) });
  return page.next ? { users: page.items.map(userView), next: page.next } : { users: page.items.map(userView) };
}
