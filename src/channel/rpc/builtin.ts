import type { Conn } from '../conn.ts';
import { RpcMethods as M } from '../../protocol/rpc-methods.ts';
import * as S from '../../protocol/schemas.ts';
import { check } from '../../protocol/schemas.ts';
import * as channels from '../../domain/channels.ts';
import * as unread from '../../domain/unread.ts';
import * as users from '../../domain/users.ts';
import * as groups from '../../domain/groups.ts';
import { rpcPublish } from '../commands/publish.ts';

type RpcFn = (c: Conn, data: unknown) => Promise<unknown>;

/** The built-in RPC methods (docs/protocol.md "RPC methods"): validate, then call the domain. */
export const BUILTIN_RPC: Record<string, RpcFn> = {
  [M.publish]: rpcPublish,
  [M.channelCreate]: (c, d) => channels.createChannel(c.ctx.core, c.app, c.actor, check(S.ChannelCreateBody, d)),
  [M.channelGet]: (c, d) => channels.getChannel(c.ctx.core, c.app, c.actor, check(S.ChannelOnly, d).channel),
  [M.channelList]: async (c, d) => (check(S.Empty, d ?? {}), { channels: await channels.listChannels(c.ctx.core, c.app, c.user) }),
  [M.channelUpdate]: (c, d) => {
    const b = check(S.ChannelUpdateBody, d);
    return channels.updateChannel(c.ctx.core, c.app, c.actor, b.channel, b.data);
  },
  [M.channelDelete]: async (c, d) => (await channels.deleteChannel(c.ctx.core, c.app, c.actor, check(S.ChannelOnly, d).channel), { deleted: true }),
  [M.channelJoin]: (c, d) => channels.joinChannel(c.ctx.core, c.app, c.actor, check(S.ChannelOnly, d).channel),
  [M.channelLeave]: async (c, d) => (await channels.leaveChannel(c.ctx.core, c.app, c.actor, check(S.ChannelOnly, d).channel), { left: true }),
  [M.channelMembers]: async (c, d) => ({ members: await channels.listMembers(c.ctx.core, c.app, c.actor, check(S.ChannelOnly, d).channel) }),
  [M.channelMembersAdd]: async (c, d) => {
    const b = check(S.ChannelMembersBody, d);
    return { added: await channels.addMembers(c.ctx.core, c.app, c.actor, b.channel, b.users) };
  },
  [M.channelMembersRemove]: async (c, d) => {
    const b = check(S.ChannelMembersBody, d);
    return { removed: await channels.removeMembers(c.ctx.core, c.app, c.actor, b.channel, b.users) };
  },
  [M.unreadCounts]: async (c, d) => (check(S.Empty, d ?? {}), { channels: await unread.unreadCounts(c.ctx.core, c.app, c.user) }),
  [M.unreadFetch]: (c, d) => {
    const b = check(S.UnreadFetchBody, d);
    return unread.fetchUnread(c.ctx.core, c.app, c.user, b.channel, b.limit);
  },
  [M.readMark]: (c, d) => {
    const b = check(S.ReadMarkBody, d);
    return unread.markRead(c.ctx.core, c.app, c.user, b.channel, b.offset);
  },
  [M.userGet]: (c, d) => users.getUser(c.ctx.core, c.app, check(S.UserGetBody, d).user, { user: c.user }),
  [M.userUpdate]: (c, d) => users.updateProfile(c.ctx.core, c.app, c.user, check(S.UserUpdateBody, d)),
  [M.userSearch]: (c, d) => users.searchUsers(c.ctx.core, c.app, check(S.UserSearchBody, d ?? {}), { user: c.user }),
  [M.groupAdd]: async (c, d) => {
    const b = check(S.GroupUsersBody, d);
    return { added: await groups.groupAdd(c.ctx.core, c.app, c.user, b.group, b.users) };
  },
  [M.groupRemove]: async (c, d) => {
    const b = check(S.GroupUsersBody, d);
    return { removed: await groups.groupRemove(c.ctx.core, c.app, c.user, b.group, b.users) };
  },
  [M.groupMembers]: async (c, d) => ({ users: await groups.groupMembers(c.ctx.core, c.app, c.user, check(S.GroupOnly, d).group) }),
  [M.groupList]: async (c, d) => (check(S.Empty, d ?? {}), { groups: await groups.groupList(c.ctx.core, c.app, c.user) }),
};
