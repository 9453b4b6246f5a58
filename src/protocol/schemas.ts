import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Errors } from '../errors.ts';

/**
 * Payload schemas shared by socket RPC and the HTTP API (one definition, validated the same way,
 * published in the OpenAPI document). Names mirror docs/protocol.md.
 */
const ID_PATTERN = '^[A-Za-z0-9_.@:\\-]+$';
/** An app id in a URL path (`:app`). */
export const AppId = Type.String({ minLength: 1, maxLength: 64 });
export const AppParams = Type.Object({ app: AppId });
export const UserId = Type.String({ minLength: 1, maxLength: 128, pattern: ID_PATTERN });
export const DeviceId = Type.String({ minLength: 1, maxLength: 128, pattern: ID_PATTERN });
// No control characters; length is checked against config.maxChannelNameLength as well.
export const ChannelName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
export const EventName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
export const MessageId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
export const GroupName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' });
export const ChannelTypeSchema = Type.Union([Type.Literal('members'), Type.Literal('open')]);
/** durable: stored (history, recovery, unread); ephemeral: only delivered; cache: delivered, newest kept for late joiners. */
export const ChannelKindSchema = Type.Union([Type.Literal('durable'), Type.Literal('ephemeral'), Type.Literal('cache')]);
export const RetentionSchema = Type.Object({
  maxAgeSec: Type.Optional(Type.Integer({ minimum: 1 })),
  maxCount: Type.Optional(Type.Integer({ minimum: 1 })),
}, { additionalProperties: false, minProperties: 1 });
/** How a channel keeps its publications (kind, cacheSize, retention); absent fields come from the namespace config. */
const KindFields = {
  kind: Type.Optional(ChannelKindSchema),
  cacheSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  retention: Type.Optional(RetentionSchema),
};
export const Profile = Type.Record(Type.String(), Type.Unknown());
export const UserList = Type.Array(UserId, { maxItems: 1000 });
const strict = { additionalProperties: false } as const;

export const PublishBody = Type.Object({ channel: ChannelName, event: Type.Optional(EventName), data: Type.Unknown(), id: Type.Optional(MessageId) }, strict);
export { KindFields };
export const ChannelCreateBody = Type.Object({ channel: ChannelName, type: Type.Optional(ChannelTypeSchema), members: Type.Optional(UserList), data: Type.Optional(Type.Unknown()), ...KindFields }, strict);
export const ChannelOnly = Type.Object({ channel: ChannelName }, strict);
export const ChannelUpdateBody = Type.Object({ channel: ChannelName, data: Type.Unknown() }, strict);
export const ChannelMembersBody = Type.Object({ channel: ChannelName, users: UserList }, strict);
export const Empty = Type.Object({}, strict);
export const UnreadFetchBody = Type.Object({ channel: ChannelName, limit: Type.Optional(Type.Integer({ minimum: 1 })) }, strict);
export const ReadMarkBody = Type.Object({ channel: ChannelName, offset: Type.Optional(Type.Integer({ minimum: 0 })) }, strict);
export const UserGetBody = Type.Object({ user: UserId }, strict);
/** Each part given replaces that part: `profile` (public) and/or `privateProfile` (the user and the backend only). */
export const UserUpdateBody = Type.Object({ profile: Type.Optional(Profile), privateProfile: Type.Optional(Profile) }, { ...strict, minProperties: 1 });
export const UserSearchBody = Type.Object({
  prefix: Type.Optional(Type.String({ maxLength: 128 })),
  field: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' })),
  value: Type.Optional(Type.String({ maxLength: 256 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 256 })),
}, strict);
export const GroupUsersBody = Type.Object({ group: GroupName, users: UserList }, strict);
export const GroupOnly = Type.Object({ group: GroupName }, strict);

const compiled = new WeakMap<TSchema, ReturnType<typeof Compile>>();

/** Validates `value` or throws 107 naming the first bad field: "channel: must be string". */
export function check<S extends TSchema>(schema: S, value: unknown, what = 'data'): Static<S> {
  let c = compiled.get(schema);
  if (!c) {
    c = Compile(schema);
    compiled.set(schema, c);
  }
  if (c.Check(value)) return value as Static<S>;
  const errs = [...c.Errors(value)];
  const e = errs.find((x) => x.keyword !== 'boolean') ?? errs[0];
  const where = e?.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : what;
  const extra = e?.keyword === 'additionalProperties' ? `: unknown field(s) ${JSON.stringify((e.params as { additionalProperties?: string[] }).additionalProperties ?? [])}` : '';
  throw Errors.badRequest.with(`${where}: ${e?.message ?? 'invalid'}${extra}`);
}
