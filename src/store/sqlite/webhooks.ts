import type { NewWebhookEvent, QueuedWebhookEvent, WebhookDelivery, WebhookStore } from '../store.ts';
import type { Statements } from './db.ts';

interface QueueRow { seq: number; app_id: string; id: string; type: string; time: number; data: string; attempts: number }
interface DeliveryRow { id: string; app_id: string; at: number; url: string; status: number; ok: number; latency_ms: number; event_ids: string; attempt: number; error: string | null }

/**
 * See WebhookStore (src/store/store.ts). One process owns the file, so a claim is a plain IMMEDIATE
 * transaction: select the oldest due app's rows, lease them, return them.
 */
export class SqliteWebhookStore implements WebhookStore {
  constructor(private readonly q: Statements) {}

  async enqueue(events: NewWebhookEvent[]): Promise<void> {
    if (events.length === 0) return;
    const ins = this.q.get('INSERT INTO webhook_queue (app_id, id, type, time, data, due_at) VALUES (?, ?, ?, ?, ?, ?)');
    this.q.db.transaction(() => {
      for (const e of events) ins.run(e.appId, e.id, e.type, e.time, JSON.stringify(e.data ?? null), e.dueAt);
    }).immediate();
  }

  /** Apps of the oldest due rows (a bounded index scan, however long the queue). */
  async dueApps(now: number, limit: number): Promise<string[]> {
    const rows = this.q.get('SELECT app_id FROM webhook_queue WHERE due_at <= ? AND lease_until <= ? ORDER BY due_at LIMIT ?')
      .all(now, now, limit * 50) as { app_id: string }[];
    return [...new Set(rows.map((r) => r.app_id))].slice(0, limit);
  }

  async claim(o: { owner: string; now: number; leaseMs: number; limit: number; app?: string; early?: boolean }): Promise<QueuedWebhookEvent[]> {
    const due = '(due_at <= @now OR (@early = 1 AND attempts = 0)) AND lease_until <= @now';
    const p = { now: o.now, early: o.early ? 1 : 0, limit: o.limit, app: o.app ?? null, owner: o.owner, until: o.now + o.leaseMs };
    return this.q.db.transaction(() => {
      const first = this.q.get(`SELECT app_id FROM webhook_queue WHERE ${due} AND (@app IS NULL OR app_id = @app) ORDER BY due_at, seq LIMIT 1`).get(p) as { app_id: string } | undefined;
      if (!first) return [];
      const rows = this.q.get(`SELECT seq, app_id, id, type, time, data, attempts FROM webhook_queue WHERE app_id = @a AND ${due} ORDER BY seq LIMIT @limit`)
        .all({ ...p, a: first.app_id }) as QueueRow[];
      const lease = this.q.get('UPDATE webhook_queue SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE seq = ?');
      for (const r of rows) lease.run(o.owner, p.until, r.seq);
      return rows.map((r) => ({ seq: r.seq, appId: r.app_id, id: r.id, type: r.type, time: r.time, data: JSON.parse(r.data), attempts: r.attempts + 1 }));
    }).immediate();
  }

  async remove(seqs: number[]): Promise<void> {
    const del = this.q.get('DELETE FROM webhook_queue WHERE seq = ?');
    this.q.db.transaction(() => { for (const s of seqs) del.run(s); }).immediate();
  }

  async retry(owner: string, seqs: number[], dueAt: number): Promise<void> {
    const upd = this.q.get('UPDATE webhook_queue SET due_at = ?, lease_owner = NULL, lease_until = 0 WHERE seq = ? AND lease_owner = ?');
    this.q.db.transaction(() => { for (const s of seqs) upd.run(dueAt, s, owner); }).immediate();
  }

  async release(owner: string): Promise<void> {
    this.q.get('UPDATE webhook_queue SET lease_owner = NULL, lease_until = 0, attempts = max(attempts - 1, 0) WHERE lease_owner = ? AND lease_until > 0').run(owner);
  }

  async pending(appId: string): Promise<number> {
    return (this.q.get('SELECT count(*) AS n FROM webhook_queue WHERE app_id = ?').get(appId) as { n: number }).n;
  }

  async log(d: WebhookDelivery, keep: number): Promise<void> {
    this.q.db.transaction(() => {
      this.q.get('INSERT INTO webhook_deliveries (app_id, id, at, url, status, ok, latency_ms, event_ids, attempt, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(d.appId, d.id, d.at, d.url, d.status, d.ok ? 1 : 0, d.latencyMs, JSON.stringify(d.eventIds), d.attempt, d.error);
      this.q.get(`DELETE FROM webhook_deliveries WHERE app_id = ? AND seq <= (
        SELECT seq FROM webhook_deliveries WHERE app_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`).run(d.appId, d.appId, keep);
    }).immediate();
  }

  async deliveries(appId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = this.q.get('SELECT id, app_id, at, url, status, ok, latency_ms, event_ids, attempt, error FROM webhook_deliveries WHERE app_id = ? ORDER BY seq DESC LIMIT ?')
      .all(appId, limit) as DeliveryRow[];
    return rows.map((r) => ({ id: r.id, appId: r.app_id, at: r.at, url: r.url, status: r.status, ok: r.ok === 1, latencyMs: r.latency_ms, eventIds: JSON.parse(r.event_ids), attempt: r.attempt, error: r.error }));
  }
}
