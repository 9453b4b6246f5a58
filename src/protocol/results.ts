import { Type, type Static } from 'typebox';

/**
 * What XPUSH answers, as schemas: the results of the RPC methods and of the HTTP API. The domain's
 * result types are these (`Static<…>`), the OpenAPI document publishes them, and the SDK's types
 * are these too (type-only imports: nothing of TypeBox reaches a client bundle).
 */
const Int = Type.Integer();

export const ClientInfo = Type.Object({
  user: Type.String(),
  client: Type.String(),
  conn_info: Type.Optional(Type.Unknown()),
  chan_info: Type.Optional(Type.Unknown()),
});
export type ClientInfo = Static<typeof ClientInfo>;

/** A publication as the protocol carries it (docs/protocol.md "Concepts → protocol"). */
export const Publication = Type.Object({
  data: Type.Unknown(),
  info: Type.Optional(ClientInfo),
  offset: Type.Optional(Int),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  time: Type.Optional(Int),
  channel: Type.Optional(Type.String()),
});
export type Publication = Static<typeof Publication>;

export const PublishAck = Type.Object({ channel: Type.String(), offset: Int, epoch: Type.String(), id: Type.String(), time: Int });
export type PublishAck = Static<typeof PublishAck>;

export const ChannelType = Type.Union([Type.Literal('members'), Type.Literal('open')]);

export const ChannelView = Type.Object({
  channel: Type.String(),
  type: ChannelType,
  data: Type.Unknown(),
  owner: Type.Union([Type.String(), Type.Null()]),
  /** The newest offset. */
  offset: Int,
  epoch: Type.String(),
  createdAt: Int,
  kind: Type.Union([Type.Literal('durable'), Type.Literal('ephemeral'), Type.Literal('cache')]),
  cacheSize: Type.Optional(Int),
  retention: Type.Optional(Type.Object({ maxAgeSec: Type.Optional(Int), maxCount: Type.Optional(Int) })),
  members: Type.Optional(Type.Array(Type.String())),
});
export type ChannelView = Static<typeof ChannelView>;

/** A channel in the user's list: with the user's unread count and read position. */
export const ChannelEntry = Type.Intersect([ChannelView, Type.Object({ unread: Int, readOffset: Int })]);
export type ChannelEntry = Static<typeof ChannelEntry>;

export const HistoryPage = Type.Object({ publications: Type.Array(Publication), offset: Int, epoch: Type.String() });
export type HistoryPage = Static<typeof HistoryPage>;

export const UnreadEntry = Type.Object({ channel: Type.String(), unread: Int, readOffset: Int, offset: Int });
export type UnreadEntry = Static<typeof UnreadEntry>;

export const UnreadPage = Type.Object({ publications: Type.Array(Publication), readOffset: Int, offset: Int, epoch: Type.String() });
export type UnreadPage = Static<typeof UnreadPage>;

export const ReadMark = Type.Object({ channel: Type.String(), readOffset: Int, unread: Int });
export type ReadMark = Static<typeof ReadMark>;

const Fields = Type.Record(Type.String(), Type.Unknown());
/**
 * A user as shown to someone: `privateProfile` only to the user themself and the app's backend;
 * `disabled` only to the backend; `deleted` to everyone (a deleted user's messages stay, naming them).
 */
export const UserView = Type.Object({
  user: Type.String(), profile: Fields, privateProfile: Type.Optional(Fields),
  disabled: Type.Optional(Type.Literal(true)), deleted: Type.Optional(Type.Literal(true)),
});
export type UserView = Static<typeof UserView>;

export const UserPage = Type.Object({ users: Type.Array(UserView), next: Type.Optional(Type.String()) });
export type UserPage = Static<typeof UserPage>;

export const GroupSummary = Type.Object({ group: Type.String(), size: Int });
export type GroupSummary = Static<typeof GroupSummary>;

export const Users = Type.Array(Type.String());
