/**
 * XPUSH operations with no native protocol command travel as `rpc {method, data}`. The names are
 * part of the public protocol (docs/protocol.md). Custom service commands registered by app
 * developers may use any other name; registering a built-in name throws.
 */
export const RpcMethods = {
  publish: 'publish',
  channelCreate: 'channel.create',
  channelGet: 'channel.get',
  channelList: 'channel.list',
  channelUpdate: 'channel.update',
  channelDelete: 'channel.delete',
  channelJoin: 'channel.join',
  channelLeave: 'channel.leave',
  channelMembersAdd: 'channel.members.add',
  channelMembersRemove: 'channel.members.remove',
  channelMembers: 'channel.members',
  unreadCounts: 'unread.counts',
  unreadFetch: 'unread.fetch',
  readMark: 'read.mark',
  userSearch: 'user.search',
  userGet: 'user.get',
  userUpdate: 'user.update',
  groupAdd: 'group.add',
  groupRemove: 'group.remove',
  groupMembers: 'group.members',
  groupList: 'group.list',
} as const;

export type BuiltinRpcMethod = (typeof RpcMethods)[keyof typeof RpcMethods];
const builtin = new Set<string>(Object.values(RpcMethods));
export function isBuiltinRpc(method: string): boolean {
  return builtin.has(method);
}
