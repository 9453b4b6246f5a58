import type pg from 'pg';
import type {
  OutboxInput, OutboxItem, PushCredentialsRecord, PushKind, PushMode, PushStore, PushTargetRecord, Settlement,
} from '../push-store.ts';
import { json, tx } from './db.ts';

interface TargetRow {
  app_id: string; id: string; user_id: string; device_id: string; kind: PushKind; token: string;
  keys: PushTargetRecord['keys']; environment: PushTargetRecord['environment']; created_at: number;
}

const toTarget = (r: TargetRow): PushTargetRecord => ({
  appId: r.app_id, id: r.id, userId: r.user_id, deviceId: r.device_id, kind: r.kind, token: r.token,
  keys: r.keys, environment: r.environment, createdAt: r.created_at,
});

/** See PushStore (src/store/push-store.ts). */
export class PostgresPushStore implements PushStore {
  constructor(private readonly pool: pg.Pool) {}

  async registerTarget(t: PushTargetRecord): Promise<PushTargetRecord> {
    return tx(this.pool, async (c) => {
      // Serialises two registrations of one token (the unique index alone would fail the second).
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', ['xpush.push', `${t.appId}|${t.kind}|${t.token}`]);
      const { rows: [old] } = await c.query<TargetRow>('SELECT * FROM push_targets WHERE app_id = $1 AND kind = $2 AND token = $3', [t.appId, t.kind, t.token]);
      const id = old?.id ?? t.id;
      if (old && (old.user_id !== t.userId || old.device_id !== t.deviceId)) {
        await c.query('DELETE FROM push_outbox WHERE app_id = $1 AND target_id = $2', [t.appId, id]);
      }
      await c.query(
        `WITH gone AS (
           DELETE FROM push_targets WHERE app_id = $1 AND user_id = $2 AND device_id = $3 AND kind = $4 AND id <> $5 RETURNING id
         ) DELETE FROM push_outbox o USING gone WHERE o.app_id = $1 AND o.target_id = gone.id`,
        [t.appId, t.userId, t.deviceId, t.kind, id],
      );
      const createdAt = old?.created_at ?? t.createdAt;
      await c.query(
        `INSERT INTO push_targets (app_id, id, user_id, device_id, kind, token, keys, environment, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (app_id, kind, token) DO UPDATE SET user_id = EXCLUDED.user_id, device_id = EXCLUDED.device_id,
           keys = EXCLUDED.keys, environment = EXCLUDED.environment`,
        [t.appId, id, t.userId, t.deviceId, t.kind, t.token, t.keys ? json(t.keys) : null, t.environment, createdAt],
      );
      return { ...t, id, createdAt };
    });
  }

  async targets(appId: string, userIds: string[]): Promise<PushTargetRecord[]> {
    if (userIds.length === 0) return [];
    const { rows } = await this.pool.query<TargetRow>(
      'SELECT * FROM push_targets WHERE app_id = $1 AND user_id = ANY($2::text[]) ORDER BY user_id, device_id, kind, id', [appId, userIds],
    );
    return rows.map(toTarget);
  }

  async hasTargets(appId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM push_targets WHERE app_id = $1 LIMIT 1', [appId]);
    return (rowCount ?? 0) > 0;
  }

  async removeTargets(appId: string, f: { id?: string; userId?: string; deviceId?: string; kind?: PushKind }): Promise<string[]> {
    if (!f.id && !f.userId && !f.deviceId && !f.kind) return [];
    const { rows } = await this.pool.query<{ id: string }>(
      `WITH gone AS (
         DELETE FROM push_targets WHERE app_id = $1 AND ($2::text IS NULL OR id = $2) AND ($3::text IS NULL OR user_id = $3)
           AND ($4::text IS NULL OR device_id = $4) AND ($5::text IS NULL OR kind = $5) RETURNING id
       ), rows AS (
         DELETE FROM push_outbox o USING gone WHERE o.app_id = $1 AND o.target_id = gone.id
       ) SELECT id FROM gone ORDER BY id`,
      [appId, f.id ?? null, f.userId ?? null, f.deviceId ?? null, f.kind ?? null],
    );
    return rows.map((r) => r.id);
  }

  async setMode(appId: string, userId: string, channel: string, mode: PushMode | null): Promise<void> {
    if (mode === null) {
      await this.pool.query('DELETE FROM push_modes WHERE app_id = $1 AND channel = $2 AND user_id = $3', [appId, channel, userId]);
      return;
    }
    await this.pool.query(
      `INSERT INTO push_modes (app_id, channel, user_id, mode) VALUES ($1, $2, $3, $4)
       ON CONFLICT (app_id, channel, user_id) DO UPDATE SET mode = EXCLUDED.mode`, [appId, channel, userId, mode],
    );
  }

  async modes(appId: string, channel: string, userIds: string[]): Promise<Map<string, PushMode>> {
    const { rows } = await this.pool.query<{ user_id: string; mode: PushMode }>(
      'SELECT user_id, mode FROM push_modes WHERE app_id = $1 AND channel = $2 AND user_id = ANY($3::text[])', [appId, channel, userIds],
    );
    return new Map(rows.map((r) => [r.user_id, r.mode]));
  }

  async putCredentials(c: PushCredentialsRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO push_credentials (app_id, provider, config, secret, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (app_id, provider) DO UPDATE SET config = EXCLUDED.config, secret = EXCLUDED.secret, updated_at = EXCLUDED.updated_at`,
      [c.appId, c.provider, json(c.config), json(c.secret), c.updatedAt],
    );
  }

  async credentials(appId: string): Promise<PushCredentialsRecord[]> {
    const { rows } = await this.pool.query<{ provider: PushKind; config: Record<string, unknown>; secret: Record<string, unknown>; updated_at: number }>(
      'SELECT provider, config, secret, updated_at FROM push_credentials WHERE app_id = $1 ORDER BY provider', [appId],
    );
    return rows.map((r) => ({ appId, provider: r.provider, config: r.config, secret: r.secret, updatedAt: r.updated_at }));
  }

  async deleteCredentials(appId: string, provider: PushKind): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM push_credentials WHERE app_id = $1 AND provider = $2', [appId, provider]);
    return r.rowCount === 1;
  }

  async credentialsVersion(appId: string): Promise<number> {
    const { rows } = await this.pool.query<{ v: number | null; n: number }>(
      'SELECT max(updated_at) AS v, count(*)::int AS n FROM push_credentials WHERE app_id = $1', [appId],
    );
    return (rows[0]!.v ?? 0) * 8 + rows[0]!.n;
  }

  async enqueue(items: OutboxInput[]): Promise<number> {
    // One statement may not upsert a row twice: keep the newest input per key (a later one wins a tie).
    const byKey = new Map<string, OutboxInput>();
    for (const i of items) {
      const k = `${i.appId}\0${i.targetId}\0${i.collapseKey}`;
      const prev = byKey.get(k);
      if (!prev || i.seq >= prev.seq) byKey.set(k, i);
    }
    if (byKey.size === 0) return 0;
    const rows = [...byKey.values()].map((i) => ({
      app_id: i.appId, target_id: i.targetId, user_id: i.userId, collapse_key: i.collapseKey, kind: i.kind, seq: i.seq,
      payload: i.payload === undefined ? null : i.payload, due_at: i.dueAt, throttle_ms: i.throttleMs,
    }));
    const r = await this.pool.query(
      `INSERT INTO push_outbox AS o (app_id, target_id, user_id, collapse_key, kind, seq, payload, due_at, throttle_ms, created_at)
       SELECT x.app_id, x.target_id, x.user_id, x.collapse_key, x.kind, x.seq, x.payload, x.due_at, x.throttle_ms, $2
       FROM json_to_recordset($1::json) AS x(app_id text, target_id text, user_id text, collapse_key text, kind text, seq bigint,
         payload json, due_at bigint, throttle_ms bigint)
       ON CONFLICT (app_id, target_id, collapse_key) DO UPDATE SET
         payload = EXCLUDED.payload, seq = EXCLUDED.seq, version = o.version + 1, throttle_ms = EXCLUDED.throttle_ms,
         attempts = CASE WHEN o.due_at IS NULL THEN 0 ELSE o.attempts END,
         due_at = CASE WHEN o.due_at IS NOT NULL THEN o.due_at
                       ELSE GREATEST(EXCLUDED.due_at, COALESCE(o.sent_at, 0) + EXCLUDED.throttle_ms) END
       WHERE EXCLUDED.seq >= o.seq`,
      [JSON.stringify(rows), Date.now()],
    );
    return r.rowCount ?? 0;
  }

  async claim(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxItem[]> {
    const { rows } = await this.pool.query<{
      id: number; app_id: string; user_id: string; collapse_key: string; kind: 'message' | 'data'; payload: unknown;
      version: number; attempts: number; t_id: string | null; t: TargetRow | null;
    }>(
      `WITH c AS (
         SELECT id FROM push_outbox
         WHERE due_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
         ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED
       ), leased AS (
         UPDATE push_outbox o SET lease_owner = $1, lease_until = $3 FROM c WHERE o.id = c.id
         RETURNING o.id, o.app_id, o.user_id, o.collapse_key, o.kind, o.payload, o.version, o.attempts, o.target_id
       )
       SELECT l.id, l.app_id, l.user_id, l.collapse_key, l.kind, l.payload, l.version, l.attempts, t.id AS t_id, row_to_json(t.*) AS t
       FROM leased l LEFT JOIN push_targets t ON t.app_id = l.app_id AND t.id = l.target_id
       ORDER BY l.id`,
      [owner, now, now + leaseMs, limit],
    );
    return rows.map((r) => ({
      id: r.id, appId: r.app_id, userId: r.user_id, collapseKey: r.collapse_key, kind: r.kind, payload: r.payload,
      version: r.version, attempts: r.attempts, target: r.t_id && r.t ? toTarget(r.t) : undefined,
    }));
  }

  async settle(id: number, owner: string, s: Settlement): Promise<boolean> {
    const release = 'lease_owner = NULL, lease_until = NULL';
    let r;
    if (s.kind === 'sent') {
      r = await this.pool.query(
        `UPDATE push_outbox SET due_at = CASE WHEN version = $3 THEN NULL ELSE GREATEST(due_at, $4 + throttle_ms) END,
           sent_at = $4, attempts = 0, last_error = NULL, ${release}
         WHERE id = $1 AND lease_owner = $2`, [id, owner, s.version, s.at],
      );
    } else if (s.kind === 'retry') {
      r = await this.pool.query(
        `UPDATE push_outbox SET due_at = $3, attempts = $5, last_error = $4, ${release} WHERE id = $1 AND lease_owner = $2`,
        [id, owner, s.dueAt, s.error, s.attempts],
      );
    } else {
      r = await this.pool.query(
        `UPDATE push_outbox SET due_at = CASE WHEN version = $3 THEN NULL ELSE due_at END, attempts = 0, last_error = $4, ${release}
         WHERE id = $1 AND lease_owner = $2`, [id, owner, s.version, s.error],
      );
    }
    return r.rowCount === 1;
  }

  async depth(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM push_outbox WHERE due_at IS NOT NULL');
    return rows[0]!.n;
  }

  async nextDue(): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ t: number | null }>('SELECT min(due_at) AS t FROM push_outbox WHERE due_at IS NOT NULL');
    return rows[0]!.t ?? undefined;
  }

  async prune(now: number): Promise<number> {
    const r = await this.pool.query('DELETE FROM push_outbox WHERE due_at IS NULL AND COALESCE(sent_at, 0) + throttle_ms <= $1', [now]);
    return r.rowCount ?? 0;
  }
}
