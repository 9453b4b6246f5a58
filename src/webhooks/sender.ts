import { randomBytes, randomUUID } from 'node:crypto';
import type { Core } from '../domain/context.ts';
import type { AppRecord, QueuedWebhookEvent } from '../store/store.ts';
import { signatureHeader, SIGNATURE_HEADER } from '../auth/signature.ts';
import type { WebhookBatch, WebhookEvent } from './events.ts';

/**
 * Delivers the durable queue, on every node. Each batch is claimed with a lease (store.ts
 * WebhookStore.claim), so one event has one sender at a time in the whole cluster; a sender that
 * dies leaves its lease to lapse and another node takes the batch over (at least once, never lost).
 *
 * A 2xx answer removes the batch's events. Anything else (another status, no answer within
 * timeoutMs, refused connection) puts each event back, due after retryBaseMs · 2^(attempt−1)
 * (±20 %, at most retryMaxMs); after maxAttempts an event is dropped and the drop is logged.
 * Every attempt goes into the app's delivery log.
 */
export class WebhookSender {
  /** Unique per process: a restarted node with the same id does not mistake old leases for its own. */
  readonly owner: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;
  private polling = false;

  constructor(private readonly core: Core) {
    this.owner = `${core.nodeId}:${randomBytes(4).toString('hex')}`;
  }

  start(): void {
    const cfg = this.core.config.webhookDelivery;
    this.timer = setInterval(() => void this.poll(), cfg.pollMs);
    this.timer.unref();
  }

  /** An app has a full batch (or sends without waiting): claim it now, due or not. */
  wake(app: string): void {
    if (this.stopped || this.inflight.size >= this.core.config.webhookDelivery.concurrency) return;
    this.track(this.claimAndSend(app, true));
  }

  /** Stops claiming, waits for the batches being sent, gives back whatever is still leased. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.inflight]);
    await this.core.store.webhooks.release(this.owner).catch((err) => this.core.log.warn({ err }, 'webhook leases not released; they lapse'));
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const room = this.core.config.webhookDelivery.concurrency - this.inflight.size;
      if (room <= 0) return;
      for (const app of await this.core.store.webhooks.dueApps(Date.now(), room)) {
        if (this.stopped || this.inflight.size >= this.core.config.webhookDelivery.concurrency) break;
        this.track(this.claimAndSend(app, false));
      }
    } catch (err) {
      this.core.log.warn({ err }, 'webhook queue poll failed; retrying');
    } finally {
      this.polling = false;
    }
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async claimAndSend(app: string, early: boolean): Promise<void> {
    try {
      // Read fresh: the app's URL or batch size may have changed since its events were queued.
      this.core.apps.forget(app);
      const rec = await this.core.apps.get(app);
      const cfg = this.core.config.webhookDelivery;
      const limit = rec?.settings.webhooks.maxBatch ?? 100;
      // A backlog of due events goes out batch after batch without waiting for the next poll; a
      // failure ends the run. Only the first claim of a wake-up takes events that are not due yet.
      for (let first = true; !this.stopped; first = false) {
        const events = await this.core.store.webhooks.claim({ owner: this.owner, now: Date.now(), leaseMs: cfg.timeoutMs + 10_000, limit, app, early: early && first });
        if (events.length === 0 || !(await this.send(app, rec, events)) || events.length < limit) break;
      }
    } catch (err) {
      this.core.log.warn({ err, app }, 'webhook batch failed; its lease will lapse and it is retried');
    }
  }

  /** One POST; true when the receiver took the batch. */
  private async send(app: string, rec: AppRecord | undefined, events: QueuedWebhookEvent[]): Promise<boolean> {
    const { store, log } = this.core;
    const cfg = this.core.config.webhookDelivery;
    const seqs = events.map((e) => e.seq);
    const url = rec?.settings.webhooks.url;
    if (!rec || !url) {
      // Deleted app, or webhooks turned off: nothing will ever take these.
      await store.webhooks.remove(seqs);
      log.info({ app, events: events.length }, 'webhook events dropped: the app has no webhook URL any more');
      return false;
    }
    const delivery = randomUUID();
    const batch: WebhookBatch = {
      app, delivery,
      events: events.map((e) => ({ id: e.id, type: e.type, time: e.time, attempt: e.attempts, data: e.data }) as WebhookEvent),
    };
    const body = JSON.stringify(batch);
    const t0 = Date.now();
    let status = 0;
    let error: string | null = null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'xpush-webhooks', [SIGNATURE_HEADER]: signatureHeader(rec.secret, body), 'x-xpush-delivery': delivery },
        body,
        signal: AbortSignal.timeout(cfg.timeoutMs),
        redirect: 'error',
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined); // drain: frees the connection for reuse
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      error = e.name === 'TimeoutError' ? `no answer within ${cfg.timeoutMs} ms` : `unreachable: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    }
    const latencyMs = Date.now() - t0;
    if (error === null) await store.webhooks.remove(seqs);
    else await this.putBack(events);
    await store.webhooks.log({
      id: delivery, appId: app, at: t0, url, status, ok: error === null, latencyMs,
      eventIds: events.map((e) => e.id), attempt: Math.max(...events.map((e) => e.attempts)), error,
    }, cfg.logSize);
    return error === null;
  }

  /** Failed batch: each event due again after its backoff, or dropped after maxAttempts. */
  private async putBack(events: QueuedWebhookEvent[]): Promise<void> {
    const cfg = this.core.config.webhookDelivery;
    const dropped = events.filter((e) => e.attempts >= cfg.maxAttempts);
    if (dropped.length) {
      await this.core.store.webhooks.remove(dropped.map((e) => e.seq));
      this.core.log.warn({ app: dropped[0]!.appId, events: dropped.map((e) => e.id), attempts: cfg.maxAttempts }, 'webhook events dropped after the last attempt');
    }
    // Events of one batch mostly share their attempt count: one update per count.
    const byAttempts = new Map<number, number[]>();
    for (const e of events) if (e.attempts < cfg.maxAttempts) byAttempts.set(e.attempts, [...(byAttempts.get(e.attempts) ?? []), e.seq]);
    for (const [attempts, seqs] of byAttempts) {
      const base = Math.min(cfg.retryMaxMs, cfg.retryBaseMs * 2 ** (attempts - 1));
      await this.core.store.webhooks.retry(this.owner, seqs, Date.now() + Math.round(base * (0.8 + Math.random() * 0.4)));
    }
  }
}
