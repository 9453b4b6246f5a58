/** PostgreSQL migration 7 (migrations.ts): the push tables. Never edit once released; add a migration. */
export const PUSH_SQL = `
CREATE TABLE push_targets (
  app_id      text COLLATE "C" NOT NULL,
  id          text COLLATE "C" NOT NULL,
  user_id     text COLLATE "C" NOT NULL,
  device_id   text COLLATE "C" NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('webpush', 'fcm', 'apns')),
  token       text NOT NULL,
  keys        json,
  environment text,
  created_at  bigint NOT NULL,
  PRIMARY KEY (app_id, id)
);
CREATE UNIQUE INDEX push_targets_token ON push_targets (app_id, kind, token);
CREATE INDEX push_targets_user ON push_targets (app_id, user_id, device_id);
CREATE TABLE push_modes (
  app_id  text COLLATE "C" NOT NULL,
  channel text COLLATE "C" NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  mode    text NOT NULL CHECK (mode IN ('all', 'mentions', 'none')),
  PRIMARY KEY (app_id, channel, user_id)
);
CREATE TABLE push_credentials (
  app_id     text COLLATE "C" NOT NULL,
  provider   text NOT NULL,
  config     json NOT NULL,
  secret     json NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (app_id, provider)
);
CREATE TABLE push_outbox (
  id           bigserial PRIMARY KEY,
  app_id       text COLLATE "C" NOT NULL,
  target_id    text COLLATE "C" NOT NULL,
  user_id      text COLLATE "C" NOT NULL,
  collapse_key text NOT NULL,
  kind         text NOT NULL,
  seq          bigint NOT NULL,
  payload      json NOT NULL,
  version      integer NOT NULL DEFAULT 1,
  due_at       bigint,
  sent_at      bigint,
  throttle_ms  bigint NOT NULL DEFAULT 0,
  attempts     integer NOT NULL DEFAULT 0,
  lease_owner  text,
  lease_until  bigint,
  last_error   text,
  created_at   bigint NOT NULL
);
CREATE UNIQUE INDEX push_outbox_key ON push_outbox (app_id, target_id, collapse_key);
CREATE INDEX push_outbox_due ON push_outbox (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX push_outbox_settled ON push_outbox (sent_at) WHERE due_at IS NULL;
`;
