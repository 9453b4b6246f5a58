import { randomBytes } from 'node:crypto';
import type { Core } from './context.ts';
import type { Actor } from '../hooks.ts';
import type { ChannelKind, ChannelRecord, ChannelType, Retention } from '../store/store.ts';
import type { ChannelNamespace } from '../config.ts';
import { Errors } from '../errors.ts';
import type { ChannelView, ChannelEntry } from '../protocol/results.ts';
import { CONTROL_TOPIC, channelChangedEvent, channelTopic, encodeEvent, userTopic } from '../protocol/events.ts';
import { appLimits, cap } from '../limits/app-limits.ts';

/** `actor === null` is the app's backend (server API): allowed everything. */
export type Caller = Actor | null;

export type { ChannelView };

export function viewOf(ch: ChannelRecord, members?: string[]): ChannelView {
  const v: ChannelView = { channel: ch.name, type: ch.type, data: ch.data ?? null, owner: ch.ownerId, offset: ch.topOffset, epoch: ch.epoch, createdAt: ch.createdAt, kind: ch.kind };
  if (ch.cacheSize !== undefined) v.cacheSize = ch.cacheSize;
  if (ch.retention) v.retention = ch.retention;
  if (members) v.members = members;
  return v;
}

function checkName(core: Core, channel: string): void {
  if (channel.length > core.config.maxChannelNameLength) throw Errors.badRequest.with(`channel name longer than ${core.config.maxChannelNameLength}`);
}

/** May this user read (subscribe, history, presence) and publish in the channel? Throws 102/103. */
export async function authorize(core: Core, app: string, channel: string, user: string | null): Promise<ChannelRecord> {
  const ch = await core.channels.require(app, channel);
  if (user === null || ch.type === 'open') return ch;
  if (!(await core.store.channels.isMember(app, channel, user))) throw Errors.permissionDenied.with(`not a member of channel "${channel}"`);
  return ch;
}

async function requireOwner(core: Core, app: string, channel: string, caller: Caller): Promise<ChannelRecord> {
  const ch = await core.channels.require(app, channel);
  if (caller && ch.ownerId !== caller.user) throw Errors.permissionDenied.with('only the channel owner may do this');
  return ch;
}

async function checkUsersExist(core: Core, app: string, users: string[]): Promise<void> {
  if (users.length === 0) return;
  const found = new Set(await core.store.users.existing(app, users));
  const missing = users.filter((u) => !found.has(u));
  if (missing.length) throw Errors.badRequest.with(`unknown user(s): ${missing.slice(0, 5).join(', ')}`);
}

export interface ChannelInput {
  channel: string;
  type?: ChannelType;
  members?: string[];
  data?: unknown;
  owner?: string;
  kind?: ChannelKind;
  cacheSize?: number;
  retention?: Retention;
}

/** A new channel's kind, cache size and retention: as given, else from the longest matching namespace prefix. */
export function kindOf(core: Core, input: Pick<ChannelInput, 'channel' | 'kind' | 'cacheSize' | 'retention'>): Pick<ChannelRecord, 'kind' | 'cacheSize' | 'retention'> {
  let ns: ChannelNamespace | undefined;
  for (const n of core.config.channelNamespaces) if (input.channel.startsWith(n.prefix) && (!ns || n.prefix.length > ns.prefix.length)) ns = n;
  const kind = input.kind ?? ns?.kind ?? 'durable';
  const out: Pick<ChannelRecord, 'kind' | 'cacheSize' | 'retention'> = { kind };
  if (kind === 'cache') out.cacheSize = input.cacheSize ?? ns?.cacheSize ?? 1;
  else if (input.cacheSize !== undefined) throw Errors.badRequest.with('cacheSize applies to cache channels only');
  const retention = input.retention ?? ns?.retention;
  if (retention && kind === 'durable') out.retention = retention;
  else if (input.retention) throw Errors.badRequest.with('retention applies to durable channels only (ephemeral and cache channels store nothing)');
  return out;
}

export async function createChannel(core: Core, app: string, caller: Caller, input: ChannelInput): Promise<ChannelView> {
  checkName(core, input.channel);
  const owner = caller ? caller.user : input.owner ?? null;
  const p = await core.hooks.before('beforeChannelCreate', {
    app, actor: caller, channel: input.channel, type: input.type ?? 'members', members: [...new Set(input.members ?? [])], data: input.data ?? null,
  });
  const members = [...new Set(owner ? [owner, ...p.members] : p.members)];
  const max = cap((await appLimits(core, app)).maxMembersPerChannel);
  if (max !== undefined && members.length > max) throw Errors.limitExceeded.with(`a channel has at most ${max} members; ${members.length} were given`);
  await checkUsersExist(core, app, members);
  const rec: ChannelRecord = {
    appId: app, name: input.channel, type: p.type, data: p.data, ownerId: owner,
    epoch: randomBytes(4).toString('hex'), topOffset: 0, createdAt: Date.now(), trimOffset: 0, ...kindOf(core, input),
  };
  await core.store.channels.create(rec, members);
  // Every node forgets what it knew of the name (a look-up before the channel existed is cached too).
  // The channel exists whatever the broker says: a node that missed this forgets all once its link is back.
  core.channels.forget(app, input.channel);
  await core.broker.publish(CONTROL_TOPIC, channelChangedEvent(app, input.channel)).catch((err: unknown) => {
    core.log.warn({ err, app, channel: input.channel }, 'channel created, but other nodes could not be told to forget the name');
  });
  for (const u of members) await notifyUser(core, app, u, 's', input.channel);
  core.hooks.after('afterChannelCreate', { app, channel: input.channel, type: rec.type, members });
  return viewOf(rec, rec.type === 'members' ? members : undefined);
}

export async function getChannel(core: Core, app: string, caller: Caller, channel: string): Promise<ChannelView> {
  await authorize(core, app, channel, caller?.user ?? null);
  const ch = await core.store.channels.get(app, channel);
  if (!ch) throw Errors.unknownChannel;
  return viewOf(ch, ch.type === 'members' ? await core.store.channels.members(app, channel) : undefined);
}

export async function updateChannel(core: Core, app: string, caller: Caller, channel: string, data: unknown): Promise<ChannelView> {
  await requireOwner(core, app, channel, caller);
  await core.store.channels.updateData(app, channel, data);
  return getChannel(core, app, null, channel);
}

export async function deleteChannel(core: Core, app: string, caller: Caller, channel: string): Promise<void> {
  const ch = await requireOwner(core, app, channel, caller);
  await core.store.channels.delete(app, channel);
  core.channels.forget(app, channel);
  if (ch.kind !== 'durable') await core.live.drop(app, channel);
  // After the store: an upload finishing meanwhile either is swept here or finds the channel gone.
  await core.blobs.deleteChannel(app, channel);
  // Every node unsubscribes its local subscribers (push unsubscribe 2000) and forgets the channel,
  // also nodes with no subscriber of it (their channel cache may hold it).
  await core.broker.publish(channelTopic(app, channel), encodeEvent('x', 0, channel));
  await core.broker.publish(CONTROL_TOPIC, channelChangedEvent(app, channel));
}

export async function addMembers(core: Core, app: string, caller: Caller, channel: string, users: string[]): Promise<string[]> {
  const ch = await requireOwner(core, app, channel, caller);
  if (ch.type !== 'members') throw Errors.badRequest.with('open channels have no member list to edit; users join them');
  await checkUsersExist(core, app, users);
  const max = cap((await appLimits(core, app)).maxMembersPerChannel);
  const from = (await core.store.channels.get(app, channel))?.topOffset ?? 0;
  const added = await core.store.channels.addMembers(app, channel, [...new Set(users)], Date.now(), max);
  for (const u of added) await notifyUser(core, app, u, 's', channel, from);
  return added;
}

export async function removeMembers(core: Core, app: string, caller: Caller, channel: string, users: string[]): Promise<string[]> {
  await requireOwner(core, app, channel, caller);
  const removed = await core.store.channels.removeMembers(app, channel, [...new Set(users)]);
  for (const u of removed) await notifyUser(core, app, u, 'x', channel);
  return removed;
}

/** Open channels: become a member (so it is listed, counted for unread and auto-subscribed). */
export async function joinChannel(core: Core, app: string, caller: Actor, channel: string): Promise<ChannelView> {
  const ch = await core.channels.require(app, channel);
  if (ch.type !== 'open' && !(await core.store.channels.isMember(app, channel, caller.user))) {
    throw Errors.permissionDenied.with('members channels are joined by invitation (channel.members.add)');
  }
  const max = cap((await appLimits(core, app)).maxMembersPerChannel);
  const from = (await core.store.channels.get(app, channel))?.topOffset ?? 0;
  const added = await core.store.channels.addMembers(app, channel, [caller.user], Date.now(), max);
  if (added.length) await notifyUser(core, app, caller.user, 's', channel, from);
  return getChannel(core, app, caller, channel);
}

export async function leaveChannel(core: Core, app: string, caller: Actor, channel: string): Promise<void> {
  await core.channels.require(app, channel);
  const removed = await core.store.channels.removeMembers(app, channel, [caller.user]);
  if (!removed.length) throw Errors.badRequest.with(`not a member of channel "${channel}"`);
  await notifyUser(core, app, caller.user, 'x', channel);
}

export async function listMembers(core: Core, app: string, caller: Caller, channel: string): Promise<string[]> {
  await authorize(core, app, channel, caller?.user ?? null);
  return core.store.channels.members(app, channel);
}

export async function listChannels(core: Core, app: string, user: string): Promise<ChannelEntry[]> {
  const [channels, positions] = await Promise.all([core.store.channels.listForUser(app, user), core.store.reads.positions(app, user)]);
  const pos = new Map(positions.map((p) => [p.channel, p]));
  return channels.map((ch) => {
    const p = pos.get(ch.name);
    return { ...viewOf(ch), unread: p?.unread ?? ch.topOffset, readOffset: p?.readOffset ?? 0 };
  });
}

/** Tells every node holding the user's connections (auto-subscribe / unsubscribe), and the after-hooks. */
/**
 * `from` (member added): the channel's top offset before the user was added. The user's live
 * connections subscribe from there, so a message published right after the add — before their node
 * subscribed — still reaches them (offsets after `from` are handed over with the subscription).
 */
async function notifyUser(core: Core, app: string, user: string, kind: 's' | 'x', channel: string, from = 0): Promise<void> {
  core.hooks.after(kind === 's' ? 'afterMemberAdded' : 'afterMemberRemoved', { app, channel, user });
  await core.broker.publish(userTopic(app, user), encodeEvent(kind, from, channel));
}
