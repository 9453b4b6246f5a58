import type Database from 'better-sqlite3';
import { PUSH_SQL } from './push-schema.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Versioned schema changes, applied in order and recorded in `schema_migrations`. Never edit a
 * released entry: add a new one. No foreign keys on purpose: the PostgreSQL store has none either, so
 * both behave the same when a caller writes rows for an app or user that is not there; cascades are
 * done explicitly by `apps.delete` and `channels.delete`. `msg_offset` avoids the OFFSET keyword.
 * Every key column compares with BINARY (code-point order of UTF-8), the same order as COLLATE "C".
 */
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE apps (
  id         TEXT NOT NULL PRIMARY KEY,
  name       TEXT NOT NULL,
  key        TEXT NOT NULL UNIQUE,
  secret     TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE users (
  app_id        TEXT NOT NULL,
  user_id       TEXT NOT NULL,
  password_hash TEXT,
  profile       TEXT NOT NULL DEFAULT '{}',
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (app_id, user_id)
);
CREATE TABLE sessions (
  app_id       TEXT NOT NULL,
  id           TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  device_id    TEXT NOT NULL,
  push_token   TEXT,
  refresh_hash TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  refreshed_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  PRIMARY KEY (app_id, id)
);
CREATE INDEX sessions_refresh ON sessions (app_id, refresh_hash);
CREATE INDEX sessions_user ON sessions (app_id, user_id);
CREATE TABLE channels (
  app_id     TEXT NOT NULL,
  name       TEXT NOT NULL,
  type       TEXT NOT NULL CHECK (type IN ('members', 'open')),
  data       TEXT,
  owner_id   TEXT,
  epoch      TEXT NOT NULL,
  top_offset INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, name)
);
CREATE TABLE channel_members (
  app_id   TEXT NOT NULL,
  channel  TEXT NOT NULL,
  user_id  TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, channel, user_id)
) WITHOUT ROWID;
CREATE INDEX channel_members_user ON channel_members (app_id, user_id, channel);
-- A rowid table (not WITHOUT ROWID): rows carry payloads up to maxMessageBytes, which would bloat
-- a clustered key b-tree. History reads walk the primary-key index in offset order.
CREATE TABLE messages (
  app_id        TEXT NOT NULL,
  channel       TEXT NOT NULL,
  msg_offset    INTEGER NOT NULL,
  id            TEXT NOT NULL,
  event         TEXT NOT NULL,
  data          TEXT,
  sender_user   TEXT NOT NULL,
  sender_device TEXT NOT NULL,
  sender_client TEXT NOT NULL,
  time          INTEGER NOT NULL,
  PRIMARY KEY (app_id, channel, msg_offset)
);
CREATE UNIQUE INDEX messages_id ON messages (app_id, channel, id);
CREATE TABLE read_positions (
  app_id      TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  channel     TEXT NOT NULL,
  read_offset INTEGER NOT NULL,
  PRIMARY KEY (app_id, user_id, channel)
) WITHOUT ROWID;
CREATE INDEX read_positions_channel ON read_positions (app_id, channel);
CREATE TABLE user_groups (
  app_id   TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  grp      TEXT NOT NULL,
  user_id  TEXT NOT NULL,
  PRIMARY KEY (app_id, owner_id, grp, user_id)
) WITHOUT ROWID;
`,
  },
  {
    // Only client-given ids (idempotent publish) need a uniqueness check: server-made ids are random
    // UUIDs. A partial index holds just those rows, so a plain publish no longer dirties a page of a
    // random-keyed index per message. Rows written before this version were all checked, so they
    // keep being checked: the column's default (1) is what they read as, with no table rewrite;
    // the store names the column on every insert, so the default never decides for a new row.
    version: 2,
    name: 'dedupe only idempotent messages',
    sql: `
ALTER TABLE messages ADD COLUMN dedupe INTEGER NOT NULL DEFAULT 1;
DROP INDEX messages_id;
CREATE UNIQUE INDEX messages_dedupe ON messages (app_id, channel, id) WHERE dedupe;
`,
  },
  {
    // Refresh-token reuse detection: every refresh hash a rotation spent, until one refresh lifetime
    // later (SessionStore.rotate). Presenting one of these again revokes its session.
    version: 3,
    name: 'spent refresh tokens',
    sql: `
CREATE TABLE refresh_rotations (
  app_id       TEXT NOT NULL,
  refresh_hash TEXT NOT NULL,
  session_id   TEXT NOT NULL,
  rotated_at   INTEGER NOT NULL,
  PRIMARY KEY (app_id, refresh_hash)
) WITHOUT ROWID;
CREATE INDEX refresh_rotations_session ON refresh_rotations (app_id, session_id, rotated_at);
`,
  },
  {
    // Per-app settings (protocol/app-settings.ts: missing fields read as defaults, so '{}' is "all
    // defaults") and the private half of user profiles.
    version: 4,
    name: 'app settings, private profiles',
    sql: `
ALTER TABLE apps ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN private_profile TEXT NOT NULL DEFAULT '{}';
`,
  },
  {
    // Client message ids are unique per (channel, sender), not per channel: otherwise one user could
    // publish another's next id first and have the victim's message answered with the squatter's.
    // Rows unique per channel are unique per (channel, sender) too, so the new index always builds.
    version: 5,
    name: 'dedupe message ids per sender',
    sql: `
DROP INDEX messages_dedupe;
CREATE UNIQUE INDEX messages_dedupe ON messages (app_id, channel, sender_user, id) WHERE dedupe;
`,
  },
  {
    // Channel kinds (durable / ephemeral / cache) and retention. Existing channels are durable with
    // no retention and nothing trimmed: constant defaults, no table rewrite. The partial index holds
    // only channels with a retention, which is all the background trim reads.
    version: 6,
    name: 'channel kinds and retention',
    sql: `
ALTER TABLE channels ADD COLUMN kind TEXT NOT NULL DEFAULT 'durable' CHECK (kind IN ('durable', 'ephemeral', 'cache'));
ALTER TABLE channels ADD COLUMN cache_size INTEGER;
ALTER TABLE channels ADD COLUMN retain_age_sec INTEGER;
ALTER TABLE channels ADD COLUMN retain_count INTEGER;
ALTER TABLE channels ADD COLUMN trim_offset INTEGER NOT NULL DEFAULT 0;
CREATE INDEX channels_retained ON channels (app_id, name) WHERE retain_age_sec IS NOT NULL OR retain_count IS NOT NULL;
`,
  },
  {
    // Files in channels (src/files/): the description of each upload. The bytes are in the blob
    // store (files under the data dir by default), keyed by the same (app, channel, id).
    version: 7,
    name: 'files in channels',
    sql: `
CREATE TABLE files (
  app_id     TEXT NOT NULL,
  channel    TEXT NOT NULL,
  id         TEXT NOT NULL,
  name       TEXT NOT NULL,
  type       TEXT NOT NULL,
  size       INTEGER NOT NULL,
  width      INTEGER,
  height     INTEGER,
  uploader   TEXT NOT NULL,
  msg_offset INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, channel, id)
) WITHOUT ROWID;
CREATE INDEX files_offset ON files (app_id, channel, msg_offset);
`,
  },
  {
    // Webhooks (store.ts WebhookStore): the durable queue of events to deliver, and each app's log of
    // delivery attempts. lease_until = 0: not leased.
    version: 8,
    name: 'webhook queue and delivery log',
    sql: `
CREATE TABLE webhook_queue (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  app_id      TEXT NOT NULL,
  id          TEXT NOT NULL,
  type        TEXT NOT NULL,
  time        INTEGER NOT NULL,
  data        TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  due_at      INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_queue_due ON webhook_queue (due_at);
CREATE INDEX webhook_queue_app ON webhook_queue (app_id, seq);
CREATE TABLE webhook_deliveries (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  app_id     TEXT NOT NULL,
  id         TEXT NOT NULL,
  at         INTEGER NOT NULL,
  url        TEXT NOT NULL,
  status     INTEGER NOT NULL,
  ok         INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  event_ids  TEXT NOT NULL,
  attempt    INTEGER NOT NULL,
  error      TEXT
);
CREATE INDEX webhook_deliveries_app ON webhook_deliveries (app_id, seq);
`,
  },
  {
    // User-level operations (issue 11): disabled users, and deleted users kept as tombstones.
    version: 9,
    name: 'disabled and deleted users',
    sql: `
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN deleted_at INTEGER;
-- Deleting a user removes them from other users' groups: find those rows without a scan.
CREATE INDEX user_groups_member ON user_groups (app_id, user_id);
`,
  },
  {
    // Push delivery (store/push-store.ts): targets per device, per-channel modes, provider
    // credentials (secrets apart from the settings JSON) and the outbox, one row per (target,
    // collapse key) so a burst of messages coalesces into one notification.
    version: 10,
    name: 'push',
    sql: PUSH_SQL,
  },
];

/**
 * Applies pending migrations in order, each in its own IMMEDIATE transaction (the write lock is
 * taken up front, so two processes starting on the same file queue instead of both applying).
 * Returns the versions applied by this call.
 */
export function migrate(db: Database.Database, list: Migration[] = migrations): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const has = db.prepare<[number]>('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare<[number, string, number]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    db.transaction(() => {
      if (has.get(m.version)) return;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      applied.push(m.version);
    }).immediate();
  }
  return applied;
}
