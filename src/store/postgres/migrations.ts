import type pg from 'pg';
import { tx } from './db.ts';
import { PUSH_SQL } from './push-schema.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Versioned schema changes, applied in order and recorded in `schema_migrations`. Never edit a
 * released entry: add a new one. Key columns use COLLATE "C" so ORDER BY is plain code-point order
 * (the same as SQLite and a JS sort) whatever the database's locale, and prefix LIKE can use the index.
 * Times and offsets are bigint epoch ms / counters (parsed to numbers by the store's type parser).
 * JSON values use `json`, not `jsonb`: the text is kept as written (key order, like SQLite) and it is
 * cheaper to insert on the publish path; nothing needs jsonb indexing (profile search reads ->>).
 */
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
CREATE TABLE apps (
  id         text COLLATE "C" PRIMARY KEY,
  name       text NOT NULL,
  key        text COLLATE "C" NOT NULL UNIQUE,
  secret     text NOT NULL,
  created_at bigint NOT NULL
);
CREATE TABLE users (
  app_id        text COLLATE "C" NOT NULL,
  user_id       text COLLATE "C" NOT NULL,
  password_hash text,
  profile       json NOT NULL DEFAULT '{}',
  created_at    bigint NOT NULL,
  PRIMARY KEY (app_id, user_id)
);
CREATE TABLE sessions (
  app_id       text COLLATE "C" NOT NULL,
  id           text COLLATE "C" NOT NULL,
  user_id      text COLLATE "C" NOT NULL,
  device_id    text NOT NULL,
  push_token   text,
  refresh_hash text NOT NULL,
  created_at   bigint NOT NULL,
  refreshed_at bigint NOT NULL,
  expires_at   bigint NOT NULL,
  revoked_at   bigint,
  PRIMARY KEY (app_id, id)
);
CREATE INDEX sessions_refresh ON sessions (app_id, refresh_hash);
CREATE INDEX sessions_user ON sessions (app_id, user_id);
CREATE TABLE channels (
  app_id     text COLLATE "C" NOT NULL,
  name       text COLLATE "C" NOT NULL,
  type       text NOT NULL CHECK (type IN ('members', 'open')),
  data       json,
  owner_id   text COLLATE "C",
  epoch      text NOT NULL,
  top_offset bigint NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, name)
);
CREATE TABLE channel_members (
  app_id   text COLLATE "C" NOT NULL,
  channel  text COLLATE "C" NOT NULL,
  user_id  text COLLATE "C" NOT NULL,
  added_at bigint NOT NULL,
  PRIMARY KEY (app_id, channel, user_id)
);
CREATE INDEX channel_members_user ON channel_members (app_id, user_id, channel);
CREATE TABLE messages (
  app_id        text COLLATE "C" NOT NULL,
  channel       text COLLATE "C" NOT NULL,
  msg_offset    bigint NOT NULL,
  id            text COLLATE "C" NOT NULL,
  event         text NOT NULL,
  data          json,
  sender_user   text NOT NULL,
  sender_device text NOT NULL,
  sender_client text NOT NULL,
  time          bigint NOT NULL,
  PRIMARY KEY (app_id, channel, msg_offset),
  UNIQUE (app_id, channel, id)
);
CREATE TABLE read_positions (
  app_id      text COLLATE "C" NOT NULL,
  user_id     text COLLATE "C" NOT NULL,
  channel     text COLLATE "C" NOT NULL,
  read_offset bigint NOT NULL,
  PRIMARY KEY (app_id, user_id, channel)
);
CREATE INDEX read_positions_channel ON read_positions (app_id, channel);
CREATE TABLE user_groups (
  app_id   text COLLATE "C" NOT NULL,
  owner_id text COLLATE "C" NOT NULL,
  grp      text COLLATE "C" NOT NULL,
  user_id  text COLLATE "C" NOT NULL,
  PRIMARY KEY (app_id, owner_id, grp, user_id)
);
`,
  },
  {
    // Only client-given ids (idempotent publish) need a uniqueness check: server-made ids are random
    // UUIDs. A partial index holds just those rows, so a plain publish no longer inserts into a
    // random-keyed index. Rows written before this version were all checked and keep being checked:
    // they take the default (true) without a table rewrite (a constant default is stored in the
    // catalog); the store names the column on every insert, so the default never decides for a new row.
    version: 2,
    name: 'dedupe only idempotent messages',
    sql: `
ALTER TABLE messages ADD COLUMN dedupe boolean NOT NULL DEFAULT true;
ALTER TABLE messages DROP CONSTRAINT messages_app_id_channel_id_key;
CREATE UNIQUE INDEX messages_dedupe ON messages (app_id, channel, id) WHERE dedupe;
`,
  },
  {
    // MessageStore.append in one round trip: a plain statement call commits on its own, so a batch
    // costs one exchange with the server instead of BEGIN, lock, write and COMMIT. Offsets come from
    // the tops read after the channel locks are held (each statement of a PL/pgSQL function sees
    // what committed before it began), so the known-id lookup is exact and nothing is retried.
    version: 3,
    name: 'append_messages function',
    sql: `
CREATE FUNCTION append_messages(
  p_app text[], p_channel text[], p_id text[], p_event text[], p_data json[],
  p_user text[], p_device text[], p_client text[], p_time bigint[], p_dedupe boolean[])
RETURNS TABLE (i integer, msg_offset bigint, known boolean, event text, data json,
  sender_user text, sender_device text, sender_client text, "time" bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  locked bigint;
  wanted bigint;
BEGIN
  -- One fixed lock order (app, name) for every appender: batches sharing channels queue instead of
  -- deadlocking. NO KEY UPDATE serialises appenders without blocking member inserts (KEY SHARE).
  SELECT
    (SELECT count(*) FROM (
      SELECT 1 FROM channels c
      WHERE (c.app_id, c.name) IN (SELECT k.a, k.n FROM unnest(p_app, p_channel) AS k(a, n))
      ORDER BY c.app_id, c.name FOR NO KEY UPDATE OF c) l),
    (SELECT count(*) FROM (SELECT DISTINCT k.a, k.n FROM unnest(p_app, p_channel) AS k(a, n)) d)
  INTO locked, wanted;
  IF locked <> wanted THEN
    RAISE EXCEPTION 'unknown channel' USING ERRCODE = 'XP102';
  END IF;
  RETURN QUERY
  WITH b AS (
    SELECT * FROM unnest(p_app, p_channel, p_id, p_event, p_data, p_user, p_device, p_client, p_time, p_dedupe)
      WITH ORDINALITY AS b(app_id, channel, id, event, data, sender_user, sender_device, sender_client, time, dedupe, i)
  ), k AS (
    -- Idempotent ids already stored. LATERAL + LIMIT 1 keeps this a probe of messages_dedupe per
    -- row whatever the planner statistics say.
    SELECT b.i, m.msg_offset, m.event, m.data, m.sender_user, m.sender_device, m.sender_client, m.time
    FROM b CROSS JOIN LATERAL (
      SELECT * FROM messages m
      WHERE m.app_id = b.app_id AND m.channel = b.channel AND m.id = b.id AND m.dedupe LIMIT 1) m
    WHERE b.dedupe
  ), f AS (
    SELECT b.*, c.top_offset + row_number() OVER (PARTITION BY b.app_id, b.channel ORDER BY b.i) AS msg_offset
    FROM b JOIN channels c ON c.app_id = b.app_id AND c.name = b.channel
    WHERE b.i NOT IN (SELECT k.i FROM k)
  ), ins AS (
    -- A plain insert for idempotent rows too: under the channel locks the lookup above is exact, so
    -- a unique violation here would be a bug, and it fails the batch rather than leave a gap.
    INSERT INTO messages (app_id, channel, msg_offset, id, event, data, sender_user, sender_device, sender_client, time, dedupe)
    SELECT f.app_id, f.channel, f.msg_offset, f.id, f.event, f.data, f.sender_user, f.sender_device, f.sender_client, f.time, f.dedupe
    FROM f
  ), tops AS (
    UPDATE channels c SET top_offset = t.top
    FROM (SELECT f.app_id, f.channel, max(f.msg_offset) AS top FROM f GROUP BY f.app_id, f.channel) t
    WHERE c.app_id = t.app_id AND c.name = t.channel
  ), reads AS (
    INSERT INTO read_positions (app_id, user_id, channel, read_offset)
    SELECT f.app_id, f.sender_user, f.channel, max(f.msg_offset) FROM f WHERE f.sender_user <> ''
    GROUP BY f.app_id, f.sender_user, f.channel
    ON CONFLICT (app_id, user_id, channel) DO UPDATE SET read_offset = GREATEST(read_positions.read_offset, EXCLUDED.read_offset)
  )
  SELECT f.i::integer, f.msg_offset, false, NULL::text, NULL::json, NULL::text, NULL::text, NULL::text, NULL::bigint FROM f
  UNION ALL
  SELECT k.i::integer, k.msg_offset, true, k.event, k.data, k.sender_user, k.sender_device, k.sender_client, k.time FROM k;
END
$fn$;
`,
  },
  {
    // Refresh-token reuse detection: every refresh hash a rotation spent, until one refresh lifetime
    // later (SessionStore.rotate). Presenting one of these again revokes its session.
    version: 4,
    name: 'spent refresh tokens',
    sql: `
CREATE TABLE refresh_rotations (
  app_id       text COLLATE "C" NOT NULL,
  refresh_hash text COLLATE "C" NOT NULL,
  session_id   text COLLATE "C" NOT NULL,
  rotated_at   bigint NOT NULL,
  PRIMARY KEY (app_id, refresh_hash)
);
CREATE INDEX refresh_rotations_session ON refresh_rotations (app_id, session_id, rotated_at);
`,
  },
  {
    // Per-app settings (protocol/app-settings.ts: missing fields read as defaults, so '{}' is "all
    // defaults") and the private half of user profiles. Constant defaults: no table rewrite.
    version: 5,
    name: 'app settings, private profiles',
    sql: `
ALTER TABLE apps ADD COLUMN settings json NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN private_profile json NOT NULL DEFAULT '{}';
`,
  },
  {
    // Client message ids are unique per (channel, sender), not per channel: otherwise one user could
    // publish another's next id first and have the victim's message answered with the squatter's.
    // The index and append_messages' lookup (the function of migration 3, otherwise unchanged) both
    // gain the sender. Rows unique per channel are unique per (channel, sender) too.
    version: 6,
    name: 'dedupe message ids per sender',
    sql: `
DROP INDEX messages_dedupe;
CREATE UNIQUE INDEX messages_dedupe ON messages (app_id, channel, sender_user, id) WHERE dedupe;
CREATE OR REPLACE FUNCTION append_messages(
  p_app text[], p_channel text[], p_id text[], p_event text[], p_data json[],
  p_user text[], p_device text[], p_client text[], p_time bigint[], p_dedupe boolean[])
RETURNS TABLE (i integer, msg_offset bigint, known boolean, event text, data json,
  sender_user text, sender_device text, sender_client text, "time" bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  locked bigint;
  wanted bigint;
BEGIN
  -- One fixed lock order (app, name) for every appender: batches sharing channels queue instead of
  -- deadlocking. NO KEY UPDATE serialises appenders without blocking member inserts (KEY SHARE).
  SELECT
    (SELECT count(*) FROM (
      SELECT 1 FROM channels c
      WHERE (c.app_id, c.name) IN (SELECT k.a, k.n FROM unnest(p_app, p_channel) AS k(a, n))
      ORDER BY c.app_id, c.name FOR NO KEY UPDATE OF c) l),
    (SELECT count(*) FROM (SELECT DISTINCT k.a, k.n FROM unnest(p_app, p_channel) AS k(a, n)) d)
  INTO locked, wanted;
  IF locked <> wanted THEN
    RAISE EXCEPTION 'unknown channel' USING ERRCODE = 'XP102';
  END IF;
  RETURN QUERY
  WITH b AS (
    SELECT * FROM unnest(p_app, p_channel, p_id, p_event, p_data, p_user, p_device, p_client, p_time, p_dedupe)
      WITH ORDINALITY AS b(app_id, channel, id, event, data, sender_user, sender_device, sender_client, time, dedupe, i)
  ), k AS (
    -- Idempotent ids this sender already stored. LATERAL + LIMIT 1 keeps this a probe of
    -- messages_dedupe per row whatever the planner statistics say.
    SELECT b.i, m.msg_offset, m.event, m.data, m.sender_user, m.sender_device, m.sender_client, m.time
    FROM b CROSS JOIN LATERAL (
      SELECT * FROM messages m
      WHERE m.app_id = b.app_id AND m.channel = b.channel AND m.sender_user = b.sender_user AND m.id = b.id AND m.dedupe LIMIT 1) m
    WHERE b.dedupe
  ), f AS (
    SELECT b.*, c.top_offset + row_number() OVER (PARTITION BY b.app_id, b.channel ORDER BY b.i) AS msg_offset
    FROM b JOIN channels c ON c.app_id = b.app_id AND c.name = b.channel
    WHERE b.i NOT IN (SELECT k.i FROM k)
  ), ins AS (
    -- A plain insert for idempotent rows too: under the channel locks the lookup above is exact, so
    -- a unique violation here would be a bug, and it fails the batch rather than leave a gap.
    INSERT INTO messages (app_id, channel, msg_offset, id, event, data, sender_user, sender_device, sender_client, time, dedupe)
    SELECT f.app_id, f.channel, f.msg_offset, f.id, f.event, f.data, f.sender_user, f.sender_device, f.sender_client, f.time, f.dedupe
    FROM f
  ), tops AS (
    UPDATE channels c SET top_offset = t.top
    FROM (SELECT f.app_id, f.channel, max(f.msg_offset) AS top FROM f GROUP BY f.app_id, f.channel) t
    WHERE c.app_id = t.app_id AND c.name = t.channel
  ), reads AS (
    INSERT INTO read_positions (app_id, user_id, channel, read_offset)
    SELECT f.app_id, f.sender_user, f.channel, max(f.msg_offset) FROM f WHERE f.sender_user <> ''
    GROUP BY f.app_id, f.sender_user, f.channel
    ON CONFLICT (app_id, user_id, channel) DO UPDATE SET read_offset = GREATEST(read_positions.read_offset, EXCLUDED.read_offset)
  )
  SELECT f.i::integer, f.msg_offset, false, NULL::text, NULL::json, NULL::text, NULL::text, NULL::text, NULL::bigint FROM f
  UNION ALL
  SELECT k.i::integer, k.msg_offset, true, k.event, k.data, k.sender_user, k.sender_device, k.sender_client, k.time FROM k;
END
$fn$;
`,
  },
  {
    // Channel kinds (durable / ephemeral / cache) and retention; see the SQLite store's migration 6.
    version: 7,
    name: 'channel kinds and retention',
    sql: `
ALTER TABLE channels ADD COLUMN kind text NOT NULL DEFAULT 'durable' CHECK (kind IN ('durable', 'ephemeral', 'cache'));
ALTER TABLE channels ADD COLUMN cache_size integer;
ALTER TABLE channels ADD COLUMN retain_age_sec integer;
ALTER TABLE channels ADD COLUMN retain_count integer;
ALTER TABLE channels ADD COLUMN trim_offset bigint NOT NULL DEFAULT 0;
CREATE INDEX channels_retained ON channels (app_id, name) WHERE retain_age_sec IS NOT NULL OR retain_count IS NOT NULL;
`,
  },
  {
    // Files in channels (src/files/): the description of each upload, and the bytes for the
    // PostgreSQL blob store (so a cluster needs no shared disk). A blob is a header row plus fixed-size
    // chunks; the header is marked complete only once every chunk is written, and readers see
    // complete blobs only. Chunks are stored uncompressed (EXTERNAL): uploads are mostly already
    // compressed (images, zip, pdf), so trying pglz on them only costs CPU.
    version: 8,
    name: 'files in channels',
    sql: `
CREATE TABLE files (
  app_id     text COLLATE "C" NOT NULL,
  channel    text COLLATE "C" NOT NULL,
  id         text COLLATE "C" NOT NULL,
  name       text NOT NULL,
  type       text NOT NULL,
  size       bigint NOT NULL,
  width      integer,
  height     integer,
  uploader   text NOT NULL,
  msg_offset bigint,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, channel, id)
);
CREATE INDEX files_offset ON files (app_id, channel, msg_offset);
CREATE TABLE blobs (
  app_id     text COLLATE "C" NOT NULL,
  channel    text COLLATE "C" NOT NULL,
  id         text COLLATE "C" NOT NULL,
  size       bigint,
  complete   boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, channel, id)
);
CREATE TABLE blob_chunks (
  app_id  text COLLATE "C" NOT NULL,
  channel text COLLATE "C" NOT NULL,
  id      text COLLATE "C" NOT NULL,
  seq     integer NOT NULL,
  data    bytea NOT NULL,
  PRIMARY KEY (app_id, channel, id, seq)
);
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
`,
  },
  {
    // Webhooks (store.ts WebhookStore): the durable queue of events to deliver, and each app's log of
    // delivery attempts. lease_until = 0: not leased. Senders on every node claim with SKIP LOCKED.
    version: 9,
    name: 'webhook queue and delivery log',
    sql: `
CREATE TABLE webhook_queue (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id      text COLLATE "C" NOT NULL,
  id          text NOT NULL,
  type        text NOT NULL,
  time        bigint NOT NULL,
  data        json NOT NULL,
  attempts    integer NOT NULL DEFAULT 0,
  due_at      bigint NOT NULL,
  lease_owner text,
  lease_until bigint NOT NULL DEFAULT 0
);
CREATE INDEX webhook_queue_due ON webhook_queue (due_at);
CREATE INDEX webhook_queue_app ON webhook_queue (app_id, seq);
CREATE TABLE webhook_deliveries (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id     text COLLATE "C" NOT NULL,
  id         text NOT NULL,
  at         bigint NOT NULL,
  url        text NOT NULL,
  status     integer NOT NULL,
  ok         boolean NOT NULL,
  latency_ms integer NOT NULL,
  event_ids  json NOT NULL,
  attempt    integer NOT NULL,
  error      text
);
CREATE INDEX webhook_deliveries_app ON webhook_deliveries (app_id, seq);
`,
  },
  {
    // User-level operations (issue 11): disabled users, and deleted users kept as tombstones.
    version: 10,
    name: 'disabled and deleted users',
    sql: `
ALTER TABLE users ADD COLUMN disabled_at bigint;
ALTER TABLE users ADD COLUMN deleted_at bigint;
-- Deleting a user removes them from other users' groups: find those rows without a scan.
CREATE INDEX user_groups_member ON user_groups (app_id, user_id);
`,
  },
  {
    // Push delivery (store/push-store.ts): targets per device, per-channel modes, provider
    // credentials (secrets apart from the settings JSON) and the outbox, one row per (target,
    // collapse key) so a burst of messages coalesces into one notification.
    version: 11,
    name: 'push',
    sql: PUSH_SQL,
  },
];

/**
 * Applies pending migrations in one transaction. The transaction-scoped advisory lock (keyed by
 * schema) makes concurrent starters queue: the first applies, the others then see the recorded
 * versions and do nothing. The schema itself is created under the same lock, since a bare
 * CREATE SCHEMA IF NOT EXISTS can still fail with a unique violation when two sessions race.
 */
export async function migrate(pool: pg.Pool, schema: string, list: Migration[] = migrations): Promise<number[]> {
  return tx(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', ['xpush.migrate', schema]);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    // Pooled connections already use this schema (search_path); SET LOCAL makes the migration
    // independent of that, and of whether the schema existed when the connection was opened.
    await c.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
    const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Schema names come from config: accept plain identifiers only (a misuse throws at once). */
export function checkSchemaName(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(`PostgresStore: invalid schema name ${JSON.stringify(schema)} (letters, digits, _ ; max 63)`);
  }
  return schema;
}

function quoteIdent(id: string): string {
  return `"${id.replace(/"/g, '""')}"`;
}
