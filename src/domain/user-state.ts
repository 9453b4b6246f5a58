import type { Core } from './context.ts';
import { Errors } from '../errors.ts';

export type UserState = 'active' | 'disabled' | 'deleted';

/**
 * Whether a user may act: disabled and deleted users may not log in, refresh or connect. A user id
 * the store does not know is active: apps that mint tokens themselves need no user rows.
 */
export async function userState(core: Core, app: string, user: string): Promise<UserState> {
  const u = await core.store.users.get(app, user);
  if (u?.deletedAt !== undefined) return 'deleted';
  if (u?.disabledAt !== undefined) return 'disabled';
  return 'active';
}

/** HTTP side of the same rule: 403 for a disabled user, 401 for a deleted one. */
export async function requireActiveUser(core: Core, app: string, user: string): Promise<void> {
  const s = await userState(core, app, user);
  if (s === 'disabled') throw Errors.permissionDenied.with(`user "${user}" is disabled`);
  if (s === 'deleted') throw Errors.unauthorized.with(`user "${user}" was deleted`);
}
