/**
 * Push delivery state (src/push/): each device's push targets, each member's per-channel push mode,
 * each app's provider credentials and the durable outbox. Implemented by the SQLite and PostgreSQL
 * stores (`store.push`); test/contract/push-store.contract.ts runs against both. Same rules as the
 * rest of the Store (src/store/store.ts): app-scoped, times in epoch ms, "not found" is empty.
 */

export type PushKind = 'webpush' | 'fcm' | 'apns';
export type PushMode = 'all' | 'mentions' | 'none';
export type ApnsEnvironment = 'sandbox' | 'production';

/** Where one device receives pushes from one provider. */
export interface PushTargetRecord {
  appId: string;
  id: string;
  userId: string;
  deviceId: string;
  kind: PushKind;
  /** FCM registration token, APNs device token (hex) or the Web Push endpoint URL. */
  token: string;
  /** Web Push only: the subscription's keys. */
  keys: { p256dh: string; auth: string } | null;
  /** APNs only. */
  environment: ApnsEnvironment | null;
  createdAt: number;
}

/** One provider's configuration for one app: `config` may be shown, `secret` never leaves the server. */
export interface PushCredentialsRecord {
  appId: string;
  provider: PushKind;
  config: Record<string, unknown>;
  secret: Record<string, unknown>;
  updatedAt: number;
}

/** A notification to deliver to one target (an outbox row before it exists). */
export interface OutboxInput {
  appId: string;
  targetId: string;
  userId: string;
  /**
   * Rows are unique per (target, collapseKey): a second input for a pending row replaces its payload
   * (the device gets one notification that shows the newest), it does not add a row.
   */
  collapseKey: string;
  kind: 'message' | 'data';
  /** Orders inputs of one collapse key: an input older than the row's (lower seq) changes nothing. */
  seq: number;
  payload: unknown;
  /** Earliest send time for a new row. */
  dueAt: number;
  /** After a send, the next one for this (target, collapseKey) waits at least this long. */
  throttleMs: number;
}

export interface OutboxItem {
  id: number;
  appId: string;
  userId: string;
  collapseKey: string;
  kind: 'message' | 'data';
  payload: unknown;
  /** Bumped by every accepted input: a settle names the version it sent. */
  version: number;
  /** Failed attempts since the last success. */
  attempts: number;
  /** undefined when the target was removed after the row was written. */
  target: PushTargetRecord | undefined;
}

/** How a claimed row ends; only its lease holder may settle it. */
export type Settlement =
  /** Delivered: done unless a newer input arrived meanwhile (then it stays pending, throttled). */
  | { kind: 'sent'; version: number; at: number }
  /** Try again at `dueAt`. */
  | { kind: 'retry'; dueAt: number; error: string; /** Failed attempts to record (a wait for a rate limit is not one). */ attempts: number }
  /** Not delivered and not retried (payload refused, user online, gave up); a newer input still goes. */
  | { kind: 'dropped'; version: number; error: string };

export interface PushStore {
  /**
   * Upserts by (app, kind, token) and returns the stored target (an existing one keeps its id). A
   * token that moves to another user or device loses its pending notifications. The device's other
   * targets of the same kind are removed (a device has one token per provider).
   */
  registerTarget(t: PushTargetRecord): Promise<PushTargetRecord>;
  /** Targets of these users, ordered by user, device, kind. */
  targets(appId: string, userIds: string[]): Promise<PushTargetRecord[]>;
  /** Whether the app has any target at all (one indexed lookup): lets a message in an app without devices skip push work. */
  hasTargets(appId: string): Promise<boolean>;
  /** Removes matching targets and their outbox rows; returns the removed ids. An empty filter removes nothing. */
  removeTargets(appId: string, f: { id?: string; userId?: string; deviceId?: string; kind?: PushKind }): Promise<string[]>;

  /** `null` forgets the user's choice (the app default applies again). */
  setMode(appId: string, userId: string, channel: string, mode: PushMode | null): Promise<void>;
  /** Explicit modes of these users in the channel (users without a choice are absent). */
  modes(appId: string, channel: string, userIds: string[]): Promise<Map<string, PushMode>>;

  putCredentials(c: PushCredentialsRecord): Promise<void>;
  credentials(appId: string): Promise<PushCredentialsRecord[]>;
  deleteCredentials(appId: string, provider: PushKind): Promise<boolean>;
  /** updatedAt of each app's newest credentials change (the provider cache's freshness check). */
  credentialsVersion(appId: string): Promise<number>;

  /**
   * Writes inputs in one transaction. A new (target, collapseKey) row is due at `dueAt`; for an existing
   * one the newer input replaces the payload and a row that is not pending becomes due at
   * max(dueAt, last send + throttleMs). Returns the number of inputs accepted.
   */
  enqueue(items: OutboxInput[]): Promise<number>;
  /**
   * Leases up to `limit` due rows (due_at <= now, no live lease) to `owner` until now + leaseMs, oldest
   * due first. Two claimers never get the same row while its lease lives (PostgreSQL: FOR UPDATE SKIP
   * LOCKED; SQLite: one IMMEDIATE transaction).
   */
  claim(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxItem[]>;
  /** Ends a claim; false when `owner` no longer holds the lease (it expired and another took it). */
  settle(id: number, owner: string, s: Settlement): Promise<boolean>;
  /** Pending rows (not yet delivered, retries included). */
  depth(): Promise<number>;
  /** The earliest due time of a pending row, or undefined. */
  nextDue(): Promise<number | undefined>;
  /** Deletes settled rows whose throttle window ended before `now`; returns how many. */
  prune(now: number): Promise<number>;
}
