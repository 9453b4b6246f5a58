import type { Core } from '../domain/context.ts';
import type { OutboxItem, Settlement } from '../store/push-store.ts';
import type { PushConfig } from './config.ts';
import type { ProviderRegistry } from './registry.ts';
import type { SendOutcome } from './provider.ts';
import { toNotification, type OutboxPayload } from './payload.ts';
import { pushMetrics, reasonLabel } from './metrics.ts';

/** How often the dispatcher prunes settled rows and refreshes the outbox depth gauge, ms. */
const MAINTENANCE_MS = 5000;
/** The longest a provider's Retry-After is honoured, ms. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Drains the outbox: claims due rows (leased to this node, so in a cluster each row is sent by one
 * node), sends each through its app's provider, and settles it: sent, retried later (exponential
 * backoff, or the provider's Retry-After), dropped (payload refused, user came online, gave up), or
 * its target pruned on a permanent token error. Rows survive restarts and kill -9 in the store; a
 * row leased by a node that died is taken again once its lease ends.
 */
export class Dispatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeNow: (() => void) | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private lastMaintenance = 0;

  constructor(private readonly core: Core, private readonly registry: ProviderRegistry, private readonly cfg: PushConfig, private readonly owner: string) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Rows became due at `at` (written on this node): look then instead of at the next poll. */
  wake(at = Date.now()): void {
    if (!this.running) return;
    const delay = at - Date.now();
    if (delay <= 0) {
      this.wakeNow?.();
      return;
    }
    if (at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeAt = Infinity;
      this.wakeNow?.();
    }, delay);
    this.wakeTimer.unref();
  }

  /** Stops claiming and waits for the sends in flight (their rows are settled). */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.wakeTimer);
    this.wakeNow?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.maintain();
      let items: OutboxItem[] = [];
      try {
        items = await this.core.store.push.claim(this.owner, Date.now(), this.cfg.leaseMs, this.cfg.batch);
      } catch (err) {
        if (this.running) this.core.log.warn({ err }, 'push outbox claim failed');
        await this.sleep(this.cfg.pollMs);
        continue;
      }
      if (items.length > 0) {
        await this.deliverAll(items);
        continue;
      }
      const next = await this.core.store.push.nextDue().catch(() => undefined);
      const now = Date.now();
      // A past due time with nothing claimable belongs to another node's lease: poll as usual.
      await this.sleep(next !== undefined && next > now ? Math.min(next - now, this.cfg.pollMs) : this.cfg.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakeNow = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakeNow = done;
    });
  }

  private async maintain(): Promise<void> {
    if (Date.now() - this.lastMaintenance < MAINTENANCE_MS) return;
    this.lastMaintenance = Date.now();
    try {
      await this.core.store.push.prune(Date.now());
      pushMetrics.outboxDepth.set(await this.core.store.push.depth());
    } catch (err) {
      this.core.log.warn({ err }, 'push outbox maintenance failed');
    }
  }

  /** At most `concurrency` sends at once; facts shared by a batch (online, badge) are asked once per user. */
  private async deliverAll(items: OutboxItem[]): Promise<void> {
    const memo = new Map<string, Promise<unknown>>();
    const once = <T>(key: string, f: () => Promise<T>): Promise<T> => {
      let p = memo.get(key) as Promise<T> | undefined;
      if (!p) memo.set(key, (p = f()));
      return p;
    };
    const ctx: BatchFacts = {
      online: (app, user) => once(`o\0${app}\0${user}`, async () => (await this.core.userPresence.online(app, [user])).has(user)),
      badge: (app, user) => once(`b\0${app}\0${user}`, async () => (await this.core.store.reads.positions(app, user)).reduce((n, p) => n + p.unread, 0)),
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const item = items[next++]!;
        await this.deliver(item, ctx).catch((err: unknown) => {
          this.core.log.error({ err, app: item.appId }, 'push delivery failed unexpectedly');
          return this.settle(item, { kind: 'retry', dueAt: Date.now() + this.backoff(item.attempts), error: 'internal', attempts: item.attempts + 1 });
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.cfg.concurrency, items.length) }, worker));
  }

  private async deliver(item: OutboxItem, ctx: BatchFacts): Promise<void> {
    const { core } = this;
    const t = item.target;
    const drop = (error: string) => this.settle(item, { kind: 'dropped', version: item.version, error });
    if (!t) return drop('target_removed');
    const app = await core.apps.get(item.appId);
    if (!app) return drop('app_removed');
    const s = app.settings.push;
    if (!s.enabled) return drop('disabled');
    const p = item.payload as OutboxPayload;
    const onlyOffline = p.type === 'message' || p.offlineOnly;
    // The user connected since this was queued: the open app shows the message; no push.
    if (onlyOffline && (await ctx.online(item.appId, item.userId))) return drop('online');
    const provider = await this.registry.get(item.appId, t.kind);
    if (!provider) {
      pushMetrics.failed.inc({ provider: t.kind, reason: 'not_configured' });
      return drop('not_configured');
    }
    // The per-user cap is for chat notifications; the backend's data pushes are its own call.
    if (p.type === 'message' && s.maxPerUserPerMinute > 0) {
      const d = await core.limiter.hit(`push:${item.appId}:${item.userId}`, { limit: s.maxPerUserPerMinute, windowMs: 60_000 })
        .catch(() => ({ allowed: true, retryAfterMs: 0 })); // a limiter outage must not stop delivery
      if (!d.allowed) return this.settle(item, { kind: 'retry', dueAt: Date.now() + d.retryAfterMs, error: 'user_limit', attempts: item.attempts });
    }
    const badge = p.type === 'message' ? await ctx.badge(item.appId, item.userId) : undefined;
    const n = toNotification(p, badge, item.collapseKey, s.ttlSec);
    const end = pushMetrics.latency.startTimer({ provider: t.kind });
    let out: SendOutcome;
    try {
      out = await provider.send(t, n);
    } catch (err) {
      out = { status: 'retry', reason: 'error', detail: (err as Error).message };
    } finally {
      end();
    }
    const log = { app: item.appId, user: item.userId, device: t.deviceId, provider: t.kind };
    if (out.status === 'sent') {
      pushMetrics.sent.inc({ provider: t.kind });
      return this.settle(item, { kind: 'sent', version: item.version, at: Date.now() });
    }
    if (out.status === 'gone') {
      pushMetrics.pruned.inc({ provider: t.kind, reason: reasonLabel(out.reason) });
      core.log.info({ ...log, reason: out.reason }, 'push target gone: removed');
      await core.store.push.removeTargets(item.appId, { id: t.id });
      return;
    }
    pushMetrics.failed.inc({ provider: t.kind, reason: reasonLabel(out.reason) });
    if (out.status === 'rejected') {
      // Our request was refused (payload, credentials): this notification is dropped, the token kept.
      core.log.warn({ ...log, reason: out.reason, detail: out.detail }, 'push rejected by provider');
      return drop(out.reason);
    }
    if (item.attempts + 1 >= this.cfg.maxAttempts) {
      pushMetrics.failed.inc({ provider: t.kind, reason: 'gave_up' });
      core.log.warn({ ...log, reason: out.reason, attempts: item.attempts + 1 }, 'push given up after repeated failures');
      return drop('gave_up:' + out.reason);
    }
    const wait = out.retryAfterMs !== undefined ? Math.min(out.retryAfterMs, MAX_RETRY_AFTER_MS) : this.backoff(item.attempts);
    await this.settle(item, { kind: 'retry', dueAt: Date.now() + wait, error: out.reason, attempts: item.attempts + 1 });
    this.wake(Date.now() + wait);
  }

  /** Exponential with ±20% jitter, so rows that failed together do not retry together. */
  private backoff(attempts: number): number {
    const base = Math.min(this.cfg.maxBackoffMs, this.cfg.backoffMs * 2 ** attempts);
    return Math.round(base * (0.8 + 0.4 * Math.random()));
  }

  private async settle(item: OutboxItem, s: Settlement): Promise<void> {
    try {
      if (!(await this.core.store.push.settle(item.id, this.owner, s))) {
        this.core.log.warn({ app: item.appId, row: item.id }, 'push outbox row lease lost before settling (raise config.push.leaseMs?)');
      }
    } catch (err) {
      this.core.log.warn({ err, app: item.appId }, 'push outbox settle failed; the row is retried when its lease ends');
    }
  }
}

interface BatchFacts {
  online(app: string, user: string): Promise<boolean>;
  badge(app: string, user: string): Promise<number>;
}
