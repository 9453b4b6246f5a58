import type { AppSettings } from '../protocol/app-settings.ts';
import { Errors, type XPushError } from '../errors.ts';
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
  /** Set while the user is disabled (no login, refresh or connect); absent otherwise. */
  disabledAt?: number;
  /**
   * Set once the user is deleted: the row stays as a tombstone (profile, password and memberships
   * gone) so the id cannot be registered again and the user's stored messages keep a known author.
   */
  deletedAt?: number;
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

/**
 * How a channel's publications live (docs/channels.md): `durable` ones are stored (offsets, history,
 * recovery, unread), `ephemeral` ones are only delivered, `cache` ones are delivered and the newest
 * `cacheSize` are kept outside the store for late joiners.
 */
export type ChannelKind = 'durable' | 'ephemeral' | 'cache';

/** How long a durable channel keeps its messages (both optional; the stricter wins). */
export interface Retention {
  /** Messages older than this are deleted. */
  maxAgeSec?: number;
  /** At most this many newest messages are kept. */
  maxCount?: number;
}

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
  kind: ChannelKind;
  /** cache channels: how many newest publications are kept for late joiners. */
  cacheSize?: number;
  /** durable channels: retention enforced by the background trim. */
  retention?: Retention;
  /** Highest offset deleted by retention (0 = none): positions at or before it cannot be recovered. */
  trimOffset: number;
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
  /** `data` as JSON text when the publish path already made it (stored as is: no second JSON.stringify). */
  dataJson?: string;
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
  /** Replaces the app's secret (rotation); false if the app does not exist. */
  updateSecret(appId: string, secret: string): Promise<boolean>;
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
  /** Which of these user ids exist in the app and are not deleted (for validating member lists). */
  existing(appId: string, userIds: string[]): Promise<string[]>;
  /** Disables (`at` set) or enables (`null`) a user; false if the user does not exist or is deleted. */
  setDisabled(appId: string, userId: string, at: number | null): Promise<boolean>;
  /** Replaces the password hash; false if the user does not exist or is deleted. */
  setPassword(appId: string, userId: string, passwordHash: string): Promise<boolean>;
  /**
   * Deletes a user, in one transaction: the row becomes a tombstone (`deletedAt`, no password, empty
   * profiles), the user's sessions are revoked, and their channel memberships, read positions and
   * groups (their own, and their place in others') are removed. Stored messages stay. False if the
   * user does not exist or is already deleted. Search and `existing` skip tombstones; `get` returns them.
   */
  delete(appId: string, userId: string, at: number): Promise<boolean>;
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
  /**
   * Revokes every session of the user not yet revoked, except `keep` (the caller's own), and forgets
   * their spent refresh hashes; returns the ids revoked by this call.
   */
  revokeForUser(appId: string, userId: string, at: number, keep?: string): Promise<string[]>;
}

export interface ChannelStore {
  /** Creates the channel and adds `members` (owner included by the caller) in one transaction. */
  create(ch: ChannelRecord, members: string[]): Promise<void>;
  get(appId: string, name: string): Promise<ChannelRecord | undefined>;
  updateData(appId: string, name: string, data: unknown): Promise<boolean>;
  /** Deletes the channel, its members, messages, read positions and file records. */
  delete(appId: string, name: string): Promise<boolean>;
  /**
   * Adds members (already-present ones are ignored); returns the ids actually added. With `max`, a
   * request that would leave the channel with more than `max` members rejects with
   * `Errors.limitExceeded` and adds nobody (checked atomically with the insert).
   */
  addMembers(appId: string, name: string, userIds: string[], at: number, max?: number): Promise<string[]>;
  /** Removes members; returns the ids actually removed. Their read positions go too. */
  removeMembers(appId: string, name: string, userIds: string[]): Promise<string[]>;
  isMember(appId: string, name: string, userId: string): Promise<boolean>;
  members(appId: string, name: string): Promise<string[]>;
  /** Channels the user is a member of, ordered by name. */
  listForUser(appId: string, userId: string): Promise<ChannelRecord[]>;
  /** Every durable channel (all apps) that has a retention, for the background trim. */
  retained(): Promise<{ appId: string; name: string; retention: Retention }[]>;
  /**
   * All channels of the app ordered by name (code-point order), `prefix` matched literally (no
   * wildcards); `cursor` is the `next` of the previous page. For operators (admin console), not clients.
   */
  list(appId: string, q: { prefix?: string; limit: number; cursor?: string }): Promise<Page<ChannelRecord>>;
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
  /**
   * Retention: deletes the channel's messages older than `olderThan` (ms since epoch) and those beyond
   * the newest `keepLast`, in one transaction, and raises the channel's `trimOffset` to the highest
   * offset deleted. Returns the channel's trimOffset after the call (unchanged when nothing went).
   */
  trim(appId: string, channel: string, q: { olderThan?: number; keepLast?: number }): Promise<number>;
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

/** A file uploaded into a channel (src/files/): its description; the bytes live in a BlobStore. */
export interface FileRecord {
  appId: string;
  channel: string;
  /** Server-made random id (URL-safe), unique in its channel. */
  id: string;
  /** Name given by the uploader (already cleaned of paths and control characters). */
  name: string;
  /** Content type sniffed from the bytes (never the client's claim); `application/octet-stream` if unknown. */
  type: string;
  size: number;
  /** Images only: pixel size read from the header bytes; null otherwise or when unreadable. */
  width: number | null;
  height: number | null;
  /** Who uploaded it ('' = the app's backend). */
  uploader: string;
  /** Offset of the `file` message announcing it; null until that message is stored. */
  offset: number | null;
  createdAt: number;
}

export interface FileStore {
  /** Adds the record; an id already used in the channel rejects with `Errors.conflict`. */
  create(f: FileRecord): Promise<void>;
  get(appId: string, channel: string, id: string): Promise<FileRecord | undefined>;
  /** Records the offset of the file's message; false if the file is gone. */
  setOffset(appId: string, channel: string, id: string, offset: number): Promise<boolean>;
  /** Removes the record; false if there was none. */
  delete(appId: string, channel: string, id: string): Promise<boolean>;
  /**
   * Files of a channel whose message is stored (offset set), newest first: offsets below `before`
   * (exclusive) when given. At most `limit`.
   */
  list(appId: string, channel: string, q: { before?: number; limit: number }): Promise<FileRecord[]>;
}

/** A webhook event waiting in the durable queue (see WebhookStore). */
export interface QueuedWebhookEvent {
  /** Queue order (per store, increasing). */
  seq: number;
  appId: string;
  /** Event id: the receiver de-duplicates by it (delivery is at least once). */
  id: string;
  type: string;
  /** When it happened, epoch ms. */
  time: number;
  data: unknown;
  /** Delivery attempts started so far, this claim included. */
  attempts: number;
}

export interface NewWebhookEvent {
  appId: string;
  id: string;
  type: string;
  time: number;
  data: unknown;
  /** Not sent before this (batching delay). */
  dueAt: number;
}

/** One delivery attempt (one POST of a batch), as the admin API shows it. */
export interface WebhookDelivery {
  id: string;
  appId: string;
  at: number;
  url: string;
  /** HTTP status of the answer; 0 when there was none (timeout, refused connection). */
  status: number;
  ok: boolean;
  latencyMs: number;
  eventIds: string[];
  /** Highest attempt number among the batch's events. */
  attempt: number;
  error: string | null;
}

/**
 * The durable webhook queue and each app's delivery log (webhooks/). Contract:
 * - `claim` hands each due event to one caller at a time: it leases the rows it returns (to
 *   `owner`, until `now + leaseMs`) and counts the attempt; rows leased to another owner whose lease
 *   has not lapsed are skipped (SKIP LOCKED on PostgreSQL, so concurrent senders never wait on each
 *   other). All rows returned belong to one app, oldest first. A lapsed lease (a sender died)
 *   makes the row claimable again: delivery is at least once.
 * - `early`: also claims events not yet due that have never been attempted (a full batch goes at once).
 * - `remove` deletes rows (delivered, or given up); `retry` releases rows still leased to `owner`
 *   and makes them due at `dueAt`; `release` gives back every lease of `owner` without counting the
 *   attempt (graceful shutdown).
 * - `log` appends an attempt and keeps only the newest `keep` per app; `deliveries` reads them newest first.
 */
export interface WebhookStore {
  enqueue(events: NewWebhookEvent[]): Promise<void>;
  /** Apps with events due and not leased at `now` (at most `limit`, those whose oldest due event waits longest first). */
  dueApps(now: number, limit: number): Promise<string[]>;
  claim(q: { owner: string; now: number; leaseMs: number; limit: number; app?: string; early?: boolean }): Promise<QueuedWebhookEvent[]>;
  remove(seqs: number[]): Promise<void>;
  retry(owner: string, seqs: number[], dueAt: number): Promise<void>;
  release(owner: string): Promise<void>;
  /** Events of the app still queued (due or not). */
  pending(appId: string): Promise<number>;
  log(d: WebhookDelivery, keep: number): Promise<void>;
  deliveries(appId: string, limit: number): Promise<WebhookDelivery[]>;
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
  /** Descriptions of files in channels; deleted with their channel or app (channels.delete, apps.delete). */
  readonly files: FileStore;
  /** Resolves when the store answers a trivial query (readiness checks); rejects when it cannot. */
  ping(): Promise<void>;
  readonly webhooks: WebhookStore;
  /** Push targets, modes, provider credentials and the outbox (push-store.ts). */
  readonly push: PushStore;
  /** Applies pending versioned migrations (idempotent; runs on start). */
  migrate(): Promise<void>;
  /** Flushes and closes; later calls reject. */
  close(): Promise<void>;
}

/**
 * The record of a new message given `offset`: the message without the publish path's own fields
 * (idempotent, dataJson), absent data as null. What a store returns for a fresh append, and what a
 * live (unstored) channel publishes.
 */
export function recordOf(m: NewMessage, offset: number): MessageRecord {
  return {
    appId: m.appId, channel: m.channel, offset, id: m.id, event: m.event, data: m.data === undefined ? null : m.data,
    senderUser: m.senderUser, senderDevice: m.senderDevice, senderClient: m.senderClient, time: m.time,
  };
}

/** ChannelStore.addMembers' refusal when a member list would outgrow its cap (both stores word it alike). */
export function membersLimit(max: number, count: number, fresh: number): XPushError {
  return Errors.limitExceeded.with(`a channel has at most ${max} members; it has ${count} and ${fresh} more were asked`);
}
