import type { Conn } from '../conn.ts';
import { RPC, type RpcMethod, type RpcRequest, type RpcResult } from '../../protocol/rpc.ts';
import { check } from '../../protocol/schemas.ts';
import * as channels from '../../domain/channels.ts';
import * as unread from '../../domain/unread.ts';
import * as users from '../../domain/users.ts';
import * as groups from '../../domain/groups.ts';
import { publishFrom } from '../commands/publish.ts';
import * as push from '../../push/targets.ts';

type Handlers = { [M in RpcMethod]: (c: Conn, req: RpcRequest<M>) => Promise<RpcResult<M>> };

/** The built-in RPC methods (protocol/rpc.ts): each gets its request already validated against the table. */
const HANDLERS: Handlers = {
  publish: (c, b) => publishFrom(c, b),
  'channel.create': (c, b) => channels.createChannel(c.ctx.core, c.app, c.actor, b),
  'channel.get': (c, b) => channels.getChannel(c.ctx.core, c.app, c.actor, b.channel),
  'channel.list': async (c) => ({ channels: await channels.listChannels(c.ctx.core, c.app, c.user) }),
  'channel.update': (c, b) => channels.updateChannel(c.ctx.core, c.app, c.actor, b.channel, b.data),
  'channel.delete': async (c, b) => (await channels.deleteChannel(c.ctx.core, c.app, c.actor, b.channel), { deleted: true as const }),
  'channel.join': (c, b) => channels.joinChannel(c.ctx.core, c.app, c.actor, b.channel),
  'channel.leave': async (c, b) => (await channels.leaveChannel(c.ctx.core, c.app, c.actor, b.channel), { left: true as const }),
  'channel.members': async (c, b) => ({ members: await channels.listMembers(c.ctx.core, c.app, c.actor, b.channel) }),
  'channel.members.add': async (c, b) => ({ added: await channels.addMembers(c.ctx.core, c.app, c.actor, b.channel, b.users) }),
  'channel.members.remove': async (c, b) => ({ removed: await channels.removeMembers(c.ctx.core, c.app, c.actor, b.channel, b.users) }),
  'unread.counts': async (c) => ({ channels: await unread.unreadCounts(c.ctx.core, c.app, c.user) }),
  'unread.fetch': (c, b) => unread.fetchUnread(c.ctx.core, c.app, c.user, b.channel, b.limit),
  'read.mark': (c, b) => unread.markRead(c.ctx.core, c.app, c.user, b.channel, b.offset),
  'user.search': (c, b) => users.searchUsers(c.ctx.core, c.app, b, { user: c.user }),
  'user.get': (c, b) => users.getUser(c.ctx.core, c.app, b.user, { user: c.user }),
  'user.update': (c, b) => users.updateProfile(c.ctx.core, c.app, c.user, b),
  'group.add': async (c, b) => ({ added: await groups.groupAdd(c.ctx.core, c.app, c.user, b.group, b.users) }),
  'group.remove': async (c, b) => ({ removed: await groups.groupRemove(c.ctx.core, c.app, c.user, b.group, b.users) }),
  'group.members': async (c, b) => ({ users: await groups.groupMembers(c.ctx.core, c.app, c.user, b.group) }),
  'group.list': async (c) => ({ groups: await groups.groupList(c.ctx.core, c.app, c.user) }),
  'push.register': (c, b) => push.registerTarget(c.ctx.core, c, b),
  'push.unregister': async (c, b) => ({ removed: await push.unregisterTargets(c.ctx.core, c, b.kind) }),
  'push.targets': async (c) => ({ targets: await push.listTargets(c.ctx.core, c.app, c.user, c.device) }),
  'push.mode.get': (c, b) => push.getMode(c.ctx.core, c.app, c.user, b.channel),
  'push.mode.set': (c, b) => push.setMode(c.ctx.core, c.app, c.user, b.channel, b.mode),
};

/** Validates `data` against the method's request schema (107 naming the field), then runs it. */
export function runBuiltin<M extends RpcMethod>(c: Conn, method: M, data: unknown): Promise<RpcResult<M>> {
  const req = check(RPC[method].request, data) as RpcRequest<M>;
  return (HANDLERS[method] as (c: Conn, req: RpcRequest<M>) => Promise<RpcResult<M>>)(c, req);
}
