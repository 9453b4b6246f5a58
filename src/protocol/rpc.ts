import { Type, type Static, type TSchema } from 'typebox';
import * as Q from './schemas.ts';
import * as R from './results.ts';
import * as P from './push.ts';

interface MethodSpec {
  summary: string;
  request: TSchema;
  result: TSchema;
}

const O = Type.Object;

/**
 * XPUSH operations with no native protocol command travel as `rpc {method, data}` → `{data}`. This
 * table is their one declaration: the channel server validates `data` against `request` and
 * dispatches by name (channel/rpc/builtin.ts), the SDK's method types are `RpcRequest<M>` /
 * `RpcResult<M>`, and docs/protocol.md's method table is generated from it (npm run docs). App
 * developers' custom commands (`server.command`) may use any other name.
 */
export const RPC = {
  publish: { summary: 'Store and deliver a message with an event name and an optional client message id (idempotent per sender); answered after the commit.', request: Q.PublishBody, result: R.PublishAck },
  'channel.create': { summary: 'Create a channel owned by the caller (`members`: only members read and write; `open`: any user of the app).', request: Q.ChannelCreateBody, result: R.ChannelView },
  'channel.get': { summary: 'A channel the caller may read, with its members (members channels).', request: Q.ChannelOnly, result: R.ChannelView },
  'channel.list': { summary: "The caller's channels, each with the caller's unread count and read position.", request: Q.Empty, result: O({ channels: Type.Array(R.ChannelEntry) }) },
  'channel.update': { summary: "Replace a channel's data (owner only).", request: Q.ChannelUpdateBody, result: R.ChannelView },
  'channel.delete': { summary: 'Delete a channel and its messages (owner only); subscribers get unsubscribe 2000.', request: Q.ChannelOnly, result: O({ deleted: Type.Literal(true) }) },
  'channel.join': { summary: 'Become a member of an open channel (listed, counted for unread, subscribed server-side).', request: Q.ChannelOnly, result: R.ChannelView },
  'channel.leave': { summary: 'Stop being a member of a channel.', request: Q.ChannelOnly, result: O({ left: Type.Literal(true) }) },
  'channel.members': { summary: 'The members of a channel the caller may read.', request: Q.ChannelOnly, result: O({ members: R.Users }) },
  'channel.members.add': { summary: 'Add members (owner only); returns those actually added.', request: Q.ChannelMembersBody, result: O({ added: R.Users }) },
  'channel.members.remove': { summary: 'Remove members (owner only); they get unsubscribe 2000.', request: Q.ChannelMembersBody, result: O({ removed: R.Users }) },
  'unread.counts': { summary: "Unread count and read position of each of the caller's channels.", request: Q.Empty, result: O({ channels: Type.Array(R.UnreadEntry) }) },
  'unread.fetch': { summary: "Messages after the caller's read position, oldest first (at most `limit` and maxReplyBytes).", request: Q.UnreadFetchBody, result: R.UnreadPage },
  'read.mark': { summary: "Move the caller's read position forward (default: the newest); every device of the user gets a `read` push.", request: Q.ReadMarkBody, result: R.ReadMark },
  'user.search': { summary: 'Users by id prefix and/or one public profile field; listing everyone needs the app setting userListing.', request: Q.UserSearchBody, result: R.UserPage },
  'user.get': { summary: "A user's public profile (and private profile, for the user themself).", request: Q.UserGetBody, result: R.UserView },
  'user.update': { summary: "Replace the caller's own public and/or private profile.", request: Q.UserUpdateBody, result: R.UserView },
  'group.add': { summary: "Add users to one of the caller's private groups.", request: Q.GroupUsersBody, result: O({ added: R.Users }) },
  'group.remove': { summary: "Remove users from one of the caller's groups.", request: Q.GroupUsersBody, result: O({ removed: R.Users }) },
  'group.members': { summary: "The users of one of the caller's groups.", request: Q.GroupOnly, result: O({ users: R.Users }) },
  'group.list': { summary: "The caller's groups with their sizes.", request: Q.Empty, result: O({ groups: Type.Array(R.GroupSummary) }) },
  'push.register': { summary: "Register this connection's device for push: a Web Push subscription, an FCM token or an APNs token (one per provider per device).", request: P.PushRegisterBody, result: P.PushTargetView },
  'push.unregister': { summary: "Remove this device's push targets (all, or one `kind`).", request: P.PushUnregisterBody, result: P.PushRemoved },
  'push.targets': { summary: "This device's push targets.", request: Q.Empty, result: P.PushTargets },
  'push.mode.get': { summary: "The caller's push mode in a channel (`all`, `mentions`, `none`) and whether it is the app default.", request: P.PushModeGetBody, result: P.PushModeView },
  'push.mode.set': { summary: "Set the caller's push mode in a channel; `default` follows the app's `push.defaultMode`.", request: P.PushModeSetBody, result: P.PushModeView },
} as const satisfies Record<string, MethodSpec>;

export type RpcMethod = keyof typeof RPC;
export type RpcRequest<M extends RpcMethod> = Static<(typeof RPC)[M]['request']>;
export type RpcResult<M extends RpcMethod> = Static<(typeof RPC)[M]['result']>;

/** True for the names of built-in methods (a custom command cannot take them). */
export function isBuiltinRpc(method: string): method is RpcMethod {
  return Object.hasOwn(RPC, method);
}
