import type pg from 'pg';
import type { NewWebhookEvent, QueuedWebhookEvent, WebhookDelivery, WebhookStore } from '../store.ts';
import { json, tx } from './db.ts';

interface QueueRow { seq: number; app_id: string; id: string; type: string; time: number; data: unknown; attempts: number }
interface DeliveryRow { id: string; app_id: string; at: number; url: string; status: number; ok: boolean; latency_ms: number; event_ids: string[]; attempt: number; error: string | null }

/** Due rows: `$1` = now. `early` adds the never-attempted rows that are not due yet. */
const due = (early: boolean): string => `${early ? '(q.due_at <= $1 OR q.attempts = 0)' : 'q.due_at <= $1'} AND q.lease_until <= $1`;

/**
 * One statement: up to `limit` due rows of one app (the given one, or the app of the oldest due row),
 * skipping rows another sender holds locked right now (SKIP LOCKED: senders on several nodes never
 * wait on each other), leased to `owner`. Rows leased by a claim that already committed fail the
 * `lease_until` test when re-checked, so no row is handed out twice while its lease runs. The
 * variants are separate texts so each gets a plan that uses its index.
 * Parameters: $1 now, then (with an app) $2 app, and last limit, owner, lease end.
 */
const claimSql = (early: boolean, byApp: boolean): string => {
  const n = byApp ? 3 : 2;
  return `
WITH ${byApp ? '' : `first AS (
  SELECT q.app_id FROM webhook_queue q WHERE ${due(early)}
  ORDER BY q.due_at, q.seq LIMIT 1
  FOR UPDATE SKIP LOCKED
), `}picked AS (
  SELECT q.seq FROM webhook_queue q
  WHERE q.app_id = ${byApp ? '$2' : '(SELECT app_id FROM first)'} AND ${due(early)}
  ORDER BY q.seq LIMIT $${n}
  FOR UPDATE OF q SKIP LOCKED
)
UPDATE webhook_queue w SET lease_owner = $${n + 1}, lease_until = $${n + 2}, attempts = w.attempts + 1
FROM picked WHERE w.seq = picked.seq
RETURNING w.seq, w.app_id, w.id, w.type, w.time, w.data, w.attempts`;
};

const CLAIM = [claimSql(false, false), claimSql(false, true), claimSql(true, false), claimSql(true, true)];

/**
 * Queue bookkeeping (claims, removals, retries, the log) commits without waiting for the WAL flush:
 * losing the last few of these in a database crash only sends a batch again, which at-least-once
 * delivery allows and receivers de-duplicate. Enqueueing waits for the flush: events are durable.
 */
function relaxed<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  return tx(pool, async (c) => {
    await c.query('SET LOCAL synchronous_commit TO off');
    return fn(c);
  });
}

/** See WebhookStore (src/store/store.ts). */
export class PostgresWebhookStore implements WebhookStore {
  constructor(private readonly pool: pg.Pool) {}

  async enqueue(events: NewWebhookEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.pool.query(
      `INSERT INTO webhook_queue (app_id, id, type, time, data, due_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::json[], $6::bigint[])`,
      [events.map((e) => e.appId), events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.time), events.map((e) => json(e.data)), events.map((e) => e.dueAt)],
    );
  }

  /** Apps of the oldest due rows (a bounded index scan, however long the queue). */
  async dueApps(now: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ app_id: string }>(
      'SELECT app_id FROM webhook_queue WHERE due_at <= $1 AND lease_until <= $1 ORDER BY due_at LIMIT $2', [now, limit * 50]);
    return [...new Set(rows.map((r) => r.app_id))].slice(0, limit);
  }

  async claim(o: { owner: string; now: number; leaseMs: number; limit: number; app?: string; early?: boolean }): Promise<QueuedWebhookEvent[]> {
    const sql = CLAIM[(o.early ? 2 : 0) + (o.app !== undefined ? 1 : 0)]!;
    const params = [o.now, ...(o.app !== undefined ? [o.app] : []), o.limit, o.owner, o.now + o.leaseMs];
    const { rows } = await relaxed(this.pool, (c) => c.query<QueueRow>(sql, params));
    return rows
      .map((r) => ({ seq: r.seq, appId: r.app_id, id: r.id, type: r.type, time: r.time, data: r.data, attempts: r.attempts }))
      .sort((a, b) => a.seq - b.seq);
  }

  async remove(seqs: number[]): Promise<void> {
    if (seqs.length) await relaxed(this.pool, (c) => c.query('DELETE FROM webhook_queue WHERE seq = ANY($1::bigint[])', [seqs]));
  }

  async retry(owner: string, seqs: number[], dueAt: number): Promise<void> {
    if (seqs.length) await relaxed(this.pool, (c) => c.query('UPDATE webhook_queue SET due_at = $1, lease_owner = NULL, lease_until = 0 WHERE seq = ANY($2::bigint[]) AND lease_owner = $3', [dueAt, seqs, owner]));
  }

  async release(owner: string): Promise<void> {
    await this.pool.query('UPDATE webhook_queue SET lease_owner = NULL, lease_until = 0, attempts = GREATEST(attempts - 1, 0) WHERE lease_owner = $1 AND lease_until > 0', [owner]);
  }

  async pending(appId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM webhook_queue WHERE app_id = $1', [appId]);
    return rows[0]!.n;
  }

  async log(d: WebhookDelivery, keep: number): Promise<void> {
    await relaxed(this.pool, async (c) => {
      await c.query(
        'INSERT INTO webhook_deliveries (app_id, id, at, url, status, ok, latency_ms, event_ids, attempt, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [d.appId, d.id, d.at, d.url, d.status, d.ok, d.latencyMs, json(d.eventIds), d.attempt, d.error],
      );
      await c.query(
        `DELETE FROM webhook_deliveries WHERE app_id = $1 AND seq <= (
           SELECT seq FROM webhook_deliveries WHERE app_id = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1)`,
        [d.appId, keep],
      );
    });
  }

  async deliveries(appId: string, limit: number): Promise<WebhookDelivery[]> {
    const { rows } = await this.pool.query<DeliveryRow>(
      'SELECT id, app_id, at, url, status, ok, latency_ms, event_ids, attempt, error FROM webhook_deliveries WHERE app_id = $1 ORDER BY seq DESC LIMIT $2',
      [appId, limit],
    );
    return rows.map((r) => ({ id: r.id, appId: r.app_id, at: r.at, url: r.url, status: r.status, ok: r.ok, latencyMs: r.latency_ms, eventIds: r.event_ids, attempt: r.attempt, error: r.error }));
  }
}
