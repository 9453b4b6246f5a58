import { Type, type Static } from 'typebox';
import * as Q from './schemas.ts';
import * as R from './results.ts';

/**
 * The session server's HTTP contract (docs/http-api.md): request and response schemas of every
 * route. The routes take their types from these through fastify's TypeBox type provider, the
 * OpenAPI document (/openapi.json) publishes them, and the SDK types its HTTP calls with them.
 * Operations that also exist as RPC methods reuse the same request schemas (protocol/rpc.ts).
 */
const strict = { additionalProperties: false } as const;
const O = Type.Object;
const Int = Type.Integer();

export const Password = Type.String({ minLength: 8, maxLength: 256 });
export const ChannelParams = O({ app: Q.AppId, channel: Q.ChannelName });
export const UserParams = O({ app: Q.AppId, user: Q.UserId });
export const AppParams = Q.AppParams;

export const ErrorBody = O({ error: O({ code: Int, message: Type.String(), temporary: Type.Optional(Type.Boolean()) }) }, { $id: 'Error' });

// ---- users and devices (client side, X-App-Key / Bearer) ----
export const RegisterBody = O({ user: Q.UserId, password: Password, profile: Type.Optional(Q.Profile), privateProfile: Type.Optional(Q.Profile) }, strict);
export const LoginBody = O({ user: Q.UserId, password: Type.String({ maxLength: 256 }), device: Q.DeviceId, pushToken: Type.Optional(Type.String({ maxLength: 4096 })) }, strict);
export const RefreshBody = O({ refreshToken: Type.String({ minLength: 1, maxLength: 256 }) }, strict);
export const LoginResult = O({ accessToken: Type.String(), refreshToken: Type.String(), expiresIn: Int, user: Type.String(), device: Type.String(), session: Type.String() });
export type LoginResult = Static<typeof LoginResult>;
export const Revoked = O({ revoked: Type.Literal(true) });
export const DeviceView = O({ device: Type.String(), session: Type.String(), pushToken: Type.Union([Type.String(), Type.Null()]), createdAt: Int, online: Type.Boolean() });
export const Devices = O({ devices: Type.Array(DeviceView) });

// ---- server API (X-API-Key: the app secret) ----
export const TokenBody = O({ user: Q.UserId, device: Type.Optional(Q.DeviceId), info: Type.Optional(Type.Unknown()), ttlSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 24 * 3600 })) }, strict);
export const TokenResult = O({ token: Type.String(), expiresIn: Int });
export const ServerPublishBody = O({ channel: Q.ChannelName, event: Type.Optional(Q.EventName), data: Type.Unknown(), id: Type.Optional(Q.MessageId), sender: Type.Optional(Q.UserId) }, strict);
export const ServerChannelCreateBody = O({ channel: Q.ChannelName, type: Type.Optional(Q.ChannelTypeSchema), members: Type.Optional(Q.UserList), data: Type.Optional(Type.Unknown()), owner: Type.Optional(Q.UserId), ...Q.KindFields }, strict);
export const ChannelDataBody = O({ data: Type.Unknown() }, strict);
export const UsersBody = O({ users: Q.UserList }, strict);
export const HistoryQuery = O({ after: Type.Optional(Type.Integer({ minimum: 0 })), before: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Optional(Type.Integer({ minimum: 0 })) }, strict);
export const UsersQuery = O({
  prefix: Type.Optional(Type.String({ maxLength: 128 })),
  field: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_]+$', maxLength: 64 })),
  value: Type.Optional(Type.String({ maxLength: 256 })),
  private: Type.Optional(Type.Boolean()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export const PresenceEntry = O({ user: Type.String(), client: Type.String(), device: Type.String(), info: Type.Optional(Type.Unknown()) });
export const Presence = O({ presence: Type.Record(Type.String(), PresenceEntry) });
export const Deleted = O({ deleted: Type.Literal(true) });
export const Added = O({ added: R.Users });
export const Removed = O({ removed: R.Users });
export const UnreadCounts = O({ channels: Type.Array(R.UnreadEntry) });
export const ConnectionView = O({ client: Type.String(), user: Type.String(), device: Type.String(), node: Type.String(), channels: Type.Array(Type.String()) });
export type ConnectionView = Static<typeof ConnectionView>;
export const Connections = O({ connections: Type.Array(ConnectionView) });
/**
 * One server-sent event of the channel watch stream (OpenAPI 3.0: the `text/event-stream` schema
 * describes each event): `message` {channel, pub}, `ready` {channel, offset, epoch, skipped}, `end` {reason}; `data` is JSON text.
 */
export const WatchEvent = O({ event: Type.Union([Type.Literal('message'), Type.Literal('ready'), Type.Literal('end')]), data: Type.String(), id: Type.Optional(Type.String()) });
export const ConnectionsQuery = O({ scope: Type.Optional(Type.Literal('local')) }, strict);
export const ChannelsQuery = O({ prefix: Type.Optional(Type.String({ maxLength: 255 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), cursor: Type.Optional(Type.String({ maxLength: 1024 })) }, strict);
/** A page of channels by name; `next` is the cursor of the following page, absent on the last. */
export const ChannelPage = O({ channels: Type.Array(R.ChannelView), next: Type.Optional(Type.String()) });
/** A device of a user as the backend sees it: a login session, or (session null) a connection with a backend-minted token. */
export const UserDevice = O({
  device: Type.String(), session: Type.Union([Type.String(), Type.Null()]), online: Type.Boolean(),
  pushToken: Type.Optional(Type.Union([Type.String(), Type.Null()])), createdAt: Type.Optional(Int), refreshedAt: Type.Optional(Int), expiresAt: Type.Optional(Int),
});
export const UserDevices = O({ devices: Type.Array(UserDevice) });

// ---- user-level operations (server API and the user's own account) ----
export const SendBody = O({ data: Type.Unknown() }, strict);
export const SendResult = O({ sent: Type.Literal(true), online: Type.Boolean() });
/** Which connections to close (at least `client` or `user`; `device` with `user`) and the close code: 3000–3499 / 4000–4499 make the SDKs reconnect, 3500–3999 / 4500–4999 stop them. */
export const DisconnectBody = O({
  client: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), user: Type.Optional(Q.UserId), device: Type.Optional(Q.DeviceId),
  code: Type.Optional(Type.Integer({ minimum: 3000, maximum: 4999 })), reason: Type.Optional(Type.String({ maxLength: 123 })),
}, strict);
/** How many matching connections the cluster listed, and the close they get. */
export const DisconnectResult = O({ matched: Int, code: Int, reason: Type.String(), reconnect: Type.Boolean() });
export const Requested = O({ requested: Type.Literal(true) });
export const RevokedSessions = O({ revokedSessions: Int });
export const UserDisabled = O({ user: Type.String(), disabled: Type.Boolean() });
export const PasswordBody = O({ password: Password }, strict);
export const ChangePasswordBody = O({ oldPassword: Type.String({ minLength: 1, maxLength: 256 }), newPassword: Password }, strict);
export const SessionParams = O({ app: Q.AppId, session: Type.String({ minLength: 1, maxLength: 64 }) });

// ---- cluster ----
export const NodeRef = O({ node: O({ id: Type.String(), url: Type.String() }) });
export const NodeInfo = O({ id: Type.String(), url: Type.String(), role: Type.String(), connections: Int, updatedAt: Int });
export const Nodes = O({ nodes: Type.Array(NodeInfo) });
/** The consistent-hashing ring: virtual nodes per node and each channel node's share of the key space (0..1). */
export const RingView = O({ vnodes: Int, nodes: Type.Array(O({ id: Type.String(), share: Type.Number() })) });

// ---- admin (Bearer admin token) ----
export const AppName = Type.String({ minLength: 1, maxLength: 128 });
