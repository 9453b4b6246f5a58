import type {
  OutboxInput, OutboxItem, PushCredentialsRecord, PushKind, PushMode, PushStore, PushTargetRecord, Settlement,
} from '../push-store.ts';
import type { Statements } from './db.ts';

interface TargetRow {
  app_id: string; id: string; user_id: string; device_id: string; kind: PushKind; token: string;
  keys: string | null; environment: PushTargetRecord['environment']; created_at: number;
}
interface OutboxRow {
  id: number; app_id: string; user_id: string; collapse_key: string; kind: 'message' | 'data'; payload: string;
  version: number; attempts: number; target_id: string;
}

const TARGET_COLS = 'app_id, id, user_id, device_id, kind, token, keys, environment, created_at';

/** See PushStore (src/store/push-store.ts). Every multi-statement change is one IMMEDIATE transaction. */
export class SqlitePushStore implements PushStore {
  constructor(private readonly q: Statements) {}

  async registerTarget(t: PushTargetRecord): Promise<PushTargetRecord> {
    return this.q.db.transaction(() => {
      const old = this.q.get(`SELECT ${TARGET_COLS} FROM push_targets WHERE app_id = ? AND kind = ? AND token = ?`)
        .get(t.appId, t.kind, t.token) as TargetRow | undefined;
      const id = old?.id ?? t.id;
      if (old && (old.user_id !== t.userId || old.device_id !== t.deviceId)) {
        // The token changed hands (another account on the device): the old owner's notifications stay with them.
        this.q.get('DELETE FROM push_outbox WHERE app_id = ? AND target_id = ?').run(t.appId, id);
      }
      const stale = this.q.get('SELECT id FROM push_targets WHERE app_id = ? AND user_id = ? AND device_id = ? AND kind = ? AND id <> ?')
        .all(t.appId, t.userId, t.deviceId, t.kind, id) as { id: string }[];
      for (const s of stale) this.deleteTarget(t.appId, s.id);
      this.q.get(`INSERT INTO push_targets (${TARGET_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (app_id, kind, token) DO UPDATE SET user_id = excluded.user_id, device_id = excluded.device_id,
          keys = excluded.keys, environment = excluded.environment`)
        .run(t.appId, id, t.userId, t.deviceId, t.kind, t.token, t.keys ? JSON.stringify(t.keys) : null, t.environment, old?.created_at ?? t.createdAt);
      return { ...t, id, createdAt: old?.created_at ?? t.createdAt };
    }).immediate();
  }

  async targets(appId: string, userIds: string[]): Promise<PushTargetRecord[]> {
    if (userIds.length === 0) return [];
    const out: PushTargetRecord[] = [];
    for (let i = 0; i < userIds.length; i += 500) {
      const chunk = userIds.slice(i, i + 500);
      const rows = this.q.get(`SELECT ${TARGET_COLS} FROM push_targets WHERE app_id = ? AND user_id IN (SELECT value FROM json_each(?))`)
        .all(appId, JSON.stringify(chunk)) as TargetRow[];
      out.push(...rows.map(toTarget));
    }
    return out.sort(byOwner);
  }

  async hasTargets(appId: string): Promise<boolean> {
    return this.q.get('SELECT 1 FROM push_targets WHERE app_id = ? LIMIT 1').get(appId) !== undefined;
  }

  async removeTargets(appId: string, f: { id?: string; userId?: string; deviceId?: string; kind?: PushKind }): Promise<string[]> {
    if (!f.id && !f.userId && !f.deviceId && !f.kind) return [];
    return this.q.db.transaction(() => {
      const rows = this.q.get(`SELECT id FROM push_targets WHERE app_id = @app AND (@id IS NULL OR id = @id)
          AND (@user IS NULL OR user_id = @user) AND (@device IS NULL OR device_id = @device) AND (@kind IS NULL OR kind = @kind)`)
        .all({ app: appId, id: f.id ?? null, user: f.userId ?? null, device: f.deviceId ?? null, kind: f.kind ?? null }) as { id: string }[];
      for (const r of rows) this.deleteTarget(appId, r.id);
      return rows.map((r) => r.id);
    }).immediate();
  }

  private deleteTarget(appId: string, id: string): void {
    this.q.get('DELETE FROM push_targets WHERE app_id = ? AND id = ?').run(appId, id);
    this.q.get('DELETE FROM push_outbox WHERE app_id = ? AND target_id = ?').run(appId, id);
  }

  async setMode(appId: string, userId: string, channel: string, mode: PushMode | null): Promise<void> {
    if (mode === null) this.q.get('DELETE FROM push_modes WHERE app_id = ? AND channel = ? AND user_id = ?').run(appId, channel, userId);
    else {
      this.q.get('INSERT INTO push_modes (app_id, channel, user_id, mode) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET mode = excluded.mode')
        .run(appId, channel, userId, mode);
    }
  }

  async modes(appId: string, channel: string, userIds: string[]): Promise<Map<string, PushMode>> {
    const rows = this.q.get('SELECT user_id, mode FROM push_modes WHERE app_id = ? AND channel = ? AND user_id IN (SELECT value FROM json_each(?))')
      .all(appId, channel, JSON.stringify(userIds)) as { user_id: string; mode: PushMode }[];
    return new Map(rows.map((r) => [r.user_id, r.mode]));
  }

  async putCredentials(c: PushCredentialsRecord): Promise<void> {
    this.q.get(`INSERT INTO push_credentials (app_id, provider, config, secret, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET config = excluded.config, secret = excluded.secret, updated_at = excluded.updated_at`)
      .run(c.appId, c.provider, JSON.stringify(c.config), JSON.stringify(c.secret), c.updatedAt);
  }

  async credentials(appId: string): Promise<PushCredentialsRecord[]> {
    const rows = this.q.get('SELECT provider, config, secret, updated_at FROM push_credentials WHERE app_id = ? ORDER BY provider').all(appId) as
      { provider: PushKind; config: string; secret: string; updated_at: number }[];
    return rows.map((r) => ({ appId, provider: r.provider, config: JSON.parse(r.config), secret: JSON.parse(r.secret), updatedAt: r.updated_at }));
  }

  async deleteCredentials(appId: string, provider: PushKind): Promise<boolean> {
    return this.q.get('DELETE FROM push_credentials WHERE app_id = ? AND provider = ?').run(appId, provider).changes > 0;
  }

  async credentialsVersion(appId: string): Promise<number> {
    const r = this.q.get('SELECT max(updated_at) AS v, count(*) AS n FROM push_credentials WHERE app_id = ?').get(appId) as { v: number | null; n: number };
    // The count changes on a delete too (a delete does not move max(updated_at) forward).
    return (r.v ?? 0) * 8 + r.n;
  }

  async enqueue(items: OutboxInput[]): Promise<number> {
    if (items.length === 0) return 0;
    const now = Date.now();
    const stmt = this.q.get(`INSERT INTO push_outbox (app_id, target_id, user_id, collapse_key, kind, seq, payload, due_at, throttle_ms, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (app_id, target_id, collapse_key) DO UPDATE SET
        payload = excluded.payload, seq = excluded.seq, version = version + 1, throttle_ms = excluded.throttle_ms,
        attempts = CASE WHEN due_at IS NULL THEN 0 ELSE attempts END,
        due_at = CASE WHEN due_at IS NOT NULL THEN due_at ELSE max(excluded.due_at, coalesce(sent_at, 0) + excluded.throttle_ms) END
      WHERE excluded.seq >= seq`);
    return this.q.db.transaction(() => {
      let n = 0;
      for (const i of items) {
        n += stmt.run(i.appId, i.targetId, i.userId, i.collapseKey, i.kind, i.seq, JSON.stringify(i.payload), i.dueAt, i.throttleMs, now).changes;
      }
      return n;
    }).immediate();
  }

  async claim(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxItem[]> {
    return this.q.db.transaction(() => {
      const rows = this.q.get(`UPDATE push_outbox SET lease_owner = ?, lease_until = ?
        WHERE id IN (SELECT id FROM push_outbox WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY due_at LIMIT ?)
        RETURNING id, app_id, user_id, collapse_key, kind, payload, version, attempts, target_id`)
        .all(owner, now + leaseMs, now, now, limit) as OutboxRow[];
      const target = this.q.get(`SELECT ${TARGET_COLS} FROM push_targets WHERE app_id = ? AND id = ?`);
      return rows.sort((a, b) => a.id - b.id).map((r) => {
        const t = target.get(r.app_id, r.target_id) as TargetRow | undefined;
        return {
          id: r.id, appId: r.app_id, userId: r.user_id, collapseKey: r.collapse_key, kind: r.kind, payload: JSON.parse(r.payload),
          version: r.version, attempts: r.attempts, target: t && toTarget(t),
        };
      });
    }).immediate();
  }

  async settle(id: number, owner: string, s: Settlement): Promise<boolean> {
    const release = 'lease_owner = NULL, lease_until = NULL';
    let r;
    if (s.kind === 'sent') {
      r = this.q.get(`UPDATE push_outbox SET
          due_at = CASE WHEN version = ? THEN NULL ELSE max(due_at, ? + throttle_ms) END,
          sent_at = ?, attempts = 0, last_error = NULL, ${release}
        WHERE id = ? AND lease_owner = ?`).run(s.version, s.at, s.at, id, owner);
    } else if (s.kind === 'retry') {
      r = this.q.get(`UPDATE push_outbox SET due_at = ?, attempts = ?, last_error = ?, ${release} WHERE id = ? AND lease_owner = ?`)
        .run(s.dueAt, s.attempts, s.error, id, owner);
    } else {
      r = this.q.get(`UPDATE push_outbox SET due_at = CASE WHEN version = ? THEN NULL ELSE due_at END, attempts = 0, last_error = ?, ${release}
        WHERE id = ? AND lease_owner = ?`).run(s.version, s.error, id, owner);
    }
    return r.changes > 0;
  }

  async depth(): Promise<number> {
    return (this.q.get('SELECT count(*) AS n FROM push_outbox WHERE due_at IS NOT NULL').get() as { n: number }).n;
  }

  async nextDue(): Promise<number | undefined> {
    return (this.q.get('SELECT min(due_at) AS t FROM push_outbox WHERE due_at IS NOT NULL').get() as { t: number | null }).t ?? undefined;
  }

  async prune(now: number): Promise<number> {
    return this.q.get('DELETE FROM push_outbox WHERE due_at IS NULL AND coalesce(sent_at, 0) + throttle_ms <= ?').run(now).changes;
  }
}

function toTarget(r: TargetRow): PushTargetRecord {
  return {
    appId: r.app_id, id: r.id, userId: r.user_id, deviceId: r.device_id, kind: r.kind, token: r.token,
    keys: r.keys ? JSON.parse(r.keys) : null, environment: r.environment, createdAt: r.created_at,
  };
}

export function byOwner(a: PushTargetRecord, b: PushTargetRecord): number {
  return cmp(a.userId, b.userId) || cmp(a.deviceId, b.deviceId) || cmp(a.kind, b.kind) || cmp(a.id, b.id);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
