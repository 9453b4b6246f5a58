import type { Core } from './context.ts';
import { Errors } from '../errors.ts';

/** Named groups of other users kept by one user (friends, teams): private to their owner. */
export async function groupAdd(core: Core, app: string, owner: string, group: string, users: string[]): Promise<string[]> {
  const uniq = [...new Set(users)];
  const found = new Set(await core.store.users.existing(app, uniq));
  const missing = uniq.filter((u) => !found.has(u));
  if (missing.length) throw Errors.badRequest.with(`unknown user(s): ${missing.slice(0, 5).join(', ')}`);
  return core.store.groups.add(app, owner, group, uniq);
}

export function groupRemove(core: Core, app: string, owner: string, group: string, users: string[]): Promise<string[]> {
  return core.store.groups.remove(app, owner, group, [...new Set(users)]);
}

export function groupMembers(core: Core, app: string, owner: string, group: string): Promise<string[]> {
  return core.store.groups.members(app, owner, group);
}

export function groupList(core: Core, app: string, owner: string): Promise<{ group: string; size: number }[]> {
  return core.store.groups.list(app, owner);
}
