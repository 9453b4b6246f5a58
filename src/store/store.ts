import type { AppSettings } from '../protocol/app-settings.ts';
import type { PushStore } from './push-store.ts';

/**
 * The durable store: every app, user, device session, channel, message, read position and group.
 * Two implementations satisfy it: SQLite (embedded default, `store/sqlite/`) and PostgreSQL
 * (`store/postgres/`); one contract suite (test/contract/store.contract.ts) runs against both.
 *
 * Contract for every method:
 * - Everything is scoped by `appId`: no method ever reads or writes another app's rows.
 * - Methods reject (never throw synchronously) on I/O failure; they never swallow errors.
 * - "Not found" is `undefined` / `false` / `[]`, never an exception. Uniqueness conflicts reject with
 *   `Errors.conflict` (src/errors.ts) and change nothing.
 * - JSON values (`profile`, `data`, `info`) are stored as JSON text and returned parsed.
 * - Times are epoch milliseconds (numbers).
 */

export interface AppRecord {
  id: string;
  name: string;
  /** Public key: embedded in client apps, sent as `X-App-Key` on register/login. */
  key: string;
  /** Secret: signs connection tokens and authenticates the app's backend (`X-API-Key`). Never sent to clients. */
  secret: string;
  /**
   * Per-app settings (protocol/app-settings.ts), stored as JSON. Fields missing from the stored JSON
   * (written before they existed) read as their defaults.
   */
  settings: AppSettings;
  createdAt: number;
}

export interface UserRecord {
  appId: string;
  userId: string;
  /** argon2id PHC string; never leaves the session server. */
  passwordHash: string | null;
  /** Public profile: any user of the app may read it and search by its top-level fields. */
  profile: Record<string, unknown>;
  /** Private profile: only the user themself and the app's backend see it; other users cannot search by it. */
  privateProfile: Record<string, unknown>;
  createdAt: number;
}

/** One logged-in device of a user (a login). Logout revokes it. */
export interface SessionRecord {
  id: string;
  appId: string;
  userId: string;
  deviceId: string;
  pushToken: string | null;
  /** sha256 hex of the current refresh token (rotated on each refresh). */
  refreshHash: string;
  createdAt: number;
  refreshedAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export type ChannelType = 'members' | 'open';

export interface ChannelRecord {
  appId: string;
  name: string;
  type: ChannelType;
  data: unknown;
  ownerId: string | null;
  /** Stream identity: set at creation, never changes while the stream exists. */
  epoch: string;
  /** Offset of the newest message (0 = none yet). Offsets are 1, 2, 3… with no gaps. */
  topOffset: number;
  createdAt: number;
}

export interface MessageRecord {
  appId: string;
  channel: string;
  offset: number;
  /**
   * Message id: server-made (a random UUID, unique by construction) or the client's id for an
   * idempotent publish. The store checks uniqueness only among idempotent messages of one sender
   * (`senderUser`) in a channel: another sender's message may carry the same id.
   */
  id: string;
  event: string;
  data: unknown;
  senderUser: string;
  senderDevice: string;
  senderClient: string;
  time: number;
}

/** What the publish path hands to `messages.append`: a message without its offset yet. */
export interface NewMessage extends Omit<MessageRecord, 'offset'> {
  /**
   * true when `id` came from the client: a second message with the same id from the same sender in
   * the channel is not stored, the first is returned. Absent/false for server-made ids, which skip the uniqueness check.
   */
  idempotent?: boolean;
}

export interface ReadPosition {
  channel: string;
  /** Offset of the last message the user has read (0 = nothing read). */
  readOffset: number;
  topOffset: number;
  unread: number;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; absent on the last page. */
  next?: string;
}

export interface AppStore {
  create(app: AppRecord): Promise<void>;
  get(appId: string): Promise<AppRecord | undefined>;
  list(): Promise<AppRecord[]>;
  /** Replaces the app's settings. */
  updateSettings(appId: string, settings: AppSettings): Promise<boolean>;
  /** Deletes the app and everything it owns. */
  delete(appId: string): Promise<boolean>;
}

export interface UserStore {
  create(user: UserRecord): Promise<void>;
  get(appId: string, userId: string): Promise<UserRecord | undefined>;
  /** Replaces the public and/or the private profile (each one given); false if the user does not exist. */
  updateProfile(appId: string, userId: string, p: { profile?: Record<string, unknown>; privateProfile?: Record<string, unknown> }): Promise<boolean>;
  /**
   * Users ordered by userId. `prefix` filters by userId prefix; `field`+`value` filters by an exact
   * top-level field of the public profile (of the private one with `private: true`), compared as text.
   * `cursor` is the `next` of the previous page.
   */
  search(appId: string, q: UserQuery): Promise<Page<UserRecord>>;
  /** Which of these user ids exist in the app (for validating member lists). */
  existing(appId: string, userIds: string[]): Promise<string[]>;
}

export interface UserQuery {
  prefix?: string;
  field?: string;
  value?: string;
  /** `field` names a private profile field (the app backend's search; never a client's). */
  private?: boolean;
  limit: number;
  cursor?: string;
}

export interface SessionStore {
  create(s: SessionRecord): Promise<void>;
  get(appId: string, sessionId: string): Promise<SessionRecord | undefined>;
  findByRefreshHash(appId: string, refreshHash: string): Promise<SessionRecord | undefined>;
  /**
   * Atomically swaps the refresh hash only if it still equals `oldHash` (a reused old token loses).
   * On success, in the same transaction, `oldHash` is remembered as spent at `refreshedAt` (see
   * findRotated), and the session's spent hashes older than one refresh lifetime
   * (`expiresAt - refreshedAt`) before `refreshedAt` are forgotten: those tokens would have expired.
   */
  rotate(appId: string, sessionId: string, oldHash: string, newHash: string, refreshedAt: number, expiresAt: number): Promise<boolean>;
  /** A refresh hash spent by an earlier rotation of a session that is not revoked: which session, and when. */
  findRotated(appId: string, refreshHash: string): Promise<{ sessionId: string; rotatedAt: number } | undefined>;
  /** Marks the session revoked (the first time is kept) and forgets its spent refresh hashes. */
  revoke(appId: string, sessionId: string, at: number): Promise<boolean>;
  /** Live (not revoked, not expired at `now`) sessions of a user: their devices. */
  listForUser(appId: string, userId: string, now: number): Promise<SessionRecord[]>;
}

export interface ChannelStore {
  /** Creates the channel and adds `members` (owner included by the caller) in one transaction. */
  create(ch: ChannelRecord, members: string[]): Promise<void>;
  get(appId: string, name: string): Promise<ChannelRecord | undefined>;
  updateData(appId: string, name: string, data: unknown): Promise<boolean>;
  /** Deletes the channel, its members, messages and read positions. */
  delete(appId: string, name: string): Promise<boolean>;
  /** Adds members (already-present ones are ignored); returns the ids actually added. */
  addMembers(appId: string, name: string, userIds: string[], at: number): Promise<string[]>;
  /** Removes members; returns the ids actually removed. Their read positions go too. */
  removeMembers(appId: string, name: string, userIds: string[]): Promise<string[]>;
  isMember(appId: string, name: string, userId: string): Promise<boolean>;
  members(appId: string, name: string): Promise<string[]>;
  /** Channels the user is a member of, ordered by name. */
  listForUser(appId: string, userId: string): Promise<ChannelRecord[]>;
}

export interface MessageStore {
  /**
   * Stores a batch in ONE transaction and returns the stored records in input order. Offsets are
   * allocated atomically per channel (topOffset+1, +2, … with no gaps, safe across processes sharing
   * the store). An `idempotent` message whose `id` already belongs to an idempotent message of the
   * same channel and `senderUser` (stored earlier, or earlier in the same batch) is not stored again:
   * that record is returned instead and takes no offset. Ids of other messages are not checked (they
   * are server-made UUIDs), so two non-idempotent messages with one id would both be stored. Rejects
   * with `Errors.unknownChannel` for a missing channel and stores nothing of the batch. In the same transaction it moves each sender's
   * read position in that channel up to the new offset (people have read what they wrote; a
   * `senderUser` of '' — the app's backend — moves nothing). Resolves only after the data is durable.
   */
  append(batch: NewMessage[]): Promise<MessageRecord[]>;
  /**
   * Messages of one channel, ordered by offset: `after` (exclusive) ascending, or `before`
   * (exclusive) descending when `reverse` is true. At most `limit`.
   */
  range(appId: string, channel: string, q: { after?: number; before?: number; limit: number; reverse?: boolean }): Promise<MessageRecord[]>;
}

export interface ReadStore {
  /**
   * Moves the read position forward only (a lower offset is ignored), capped to [0, the channel's
   * topOffset]; returns the position now stored. For an unknown channel it stores nothing and returns 0.
   */
  markRead(appId: string, userId: string, channel: string, offset: number): Promise<number>;
  /** Read positions and unread counts for every channel the user is a member of (ordered by channel). */
  positions(appId: string, userId: string): Promise<ReadPosition[]>;
  get(appId: string, userId: string, channel: string): Promise<number>;
}

export interface GroupStore {
  add(appId: string, ownerId: string, group: string, userIds: string[]): Promise<string[]>;
  remove(appId: string, ownerId: string, group: string, userIds: string[]): Promise<string[]>;
  /** Members of one group of the owner, ordered. */
  members(appId: string, ownerId: string, group: string): Promise<string[]>;
  /** The owner's group names with their sizes. */
  list(appId: string, ownerId: string): Promise<{ group: string; size: number }[]>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly apps: AppStore;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly channels: ChannelStore;
  readonly messages: MessageStore;
  readonly reads: ReadStore;
  readonly groups: GroupStore;
  /** Push targets, modes, provider credentials and the outbox (push-store.ts). */
  readonly push: PushStore;
  /** Applies pending versioned migrations (idempotent; runs on start). */
  migrate(): Promise<void>;
  /** Flushes and closes; later calls reject. */
  close(): Promise<void>;
}
