/** SQLite migration 6 (migrations.ts): the push tables. Never edit once released; add a migration. */
export const PUSH_SQL = `
CREATE TABLE push_targets (
  app_id      TEXT NOT NULL,
  id          TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  device_id   TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('webpush', 'fcm', 'apns')),
  token       TEXT NOT NULL,
  keys        TEXT,
  environment TEXT,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (app_id, id)
);
CREATE UNIQUE INDEX push_targets_token ON push_targets (app_id, kind, token);
CREATE INDEX push_targets_user ON push_targets (app_id, user_id, device_id);
CREATE TABLE push_modes (
  app_id  TEXT NOT NULL,
  channel TEXT NOT NULL,
  user_id TEXT NOT NULL,
  mode    TEXT NOT NULL CHECK (mode IN ('all', 'mentions', 'none')),
  PRIMARY KEY (app_id, channel, user_id)
) WITHOUT ROWID;
CREATE TABLE push_credentials (
  app_id     TEXT NOT NULL,
  provider   TEXT NOT NULL,
  config     TEXT NOT NULL,
  secret     TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, provider)
) WITHOUT ROWID;
CREATE TABLE push_outbox (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  app_id       TEXT NOT NULL,
  target_id    TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  collapse_key TEXT NOT NULL,
  kind         TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  payload      TEXT NOT NULL,
  version      INTEGER NOT NULL DEFAULT 1,
  due_at       INTEGER,
  sent_at      INTEGER,
  throttle_ms  INTEGER NOT NULL DEFAULT 0,
  attempts     INTEGER NOT NULL DEFAULT 0,
  lease_owner  TEXT,
  lease_until  INTEGER,
  last_error   TEXT,
  created_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX push_outbox_key ON push_outbox (app_id, target_id, collapse_key);
CREATE INDEX push_outbox_due ON push_outbox (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX push_outbox_settled ON push_outbox (sent_at) WHERE due_at IS NULL;
`;
