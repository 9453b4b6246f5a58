import { randomUUID } from 'node:crypto';
import type { Core } from '../domain/context.ts';
import type { AppRecord, NewWebhookEvent } from '../store/store.ts';
import type { WebhookEventData, WebhookEventType } from './events.ts';

/**
 * Turns events into rows of the durable queue. An event is queued only if the app has a webhook URL
 * and wants that type (and, for message.published, the channel matches a publishedChannels prefix).
 * Events of one turn are written in one store call; from then on they survive a restart. An event
 * is lost only if the process dies between the operation and that write (or the write fails: logged).
 */
export class WebhookEmitter {
  private buffer: NewWebhookEvent[] = [];
  private flushing: Promise<void> | undefined;
  /** Emits still reading the app's settings. */
  private pending = 0;
  private idle: (() => void) | undefined;
  /** Fresh events per app since its last early send: a full batch goes before maxWaitMs. */
  private readonly fresh = new Map<string, number>();
  /** Apps whose batch is full in the buffer being written: the sender is woken for them after the write. */
  private readonly full = new Set<string>();

  constructor(private readonly core: Core, private readonly onFull: (app: string) => void) {}

  /**
   * True when the cached app settings say no webhook wants `type` (for a channel, when given): the
   * caller may skip building the event. False when one may, or the app is not cached.
   */
  unwanted(app: string, type: WebhookEventType, channel?: string): boolean {
    const hit = this.core.apps.peek(app);
    return hit !== undefined && !wants(hit.app, type, channel);
  }

  emit<K extends WebhookEventType>(app: string, type: K, data: WebhookEventData[K], time = Date.now()): void {
    if (this.unwanted(app, type)) return;
    this.pending++;
    this.queue(app, type, data, time)
      .catch((err) => this.core.log.warn({ err, app, type }, 'webhook event not queued'))
      .finally(() => {
        if (--this.pending === 0 && this.idle) this.idle();
      });
  }

  /** Resolves once every event emitted so far is in the store (or failed to get there). */
  async flush(): Promise<void> {
    if (this.pending > 0) await new Promise<void>((resolve) => { this.idle = resolve; });
    this.idle = undefined;
    while (this.flushing || this.buffer.length) await (this.flushing ?? (this.schedule(), this.flushing));
  }

  private async queue<K extends WebhookEventType>(app: string, type: K, data: WebhookEventData[K], time: number): Promise<void> {
    const rec = await this.core.apps.get(app);
    const channel = type === 'message.published' ? (data as WebhookEventData['message.published']).channel : undefined;
    if (!wants(rec, type, channel)) return;
    const s = rec!.settings.webhooks!;
    this.buffer.push({ appId: app, id: randomUUID(), type, time, data, dueAt: time + s.maxWaitMs });
    const n = (this.fresh.get(app) ?? 0) + 1;
    if (n >= s.maxBatch || s.maxWaitMs === 0) {
      this.fresh.delete(app);
      this.full.add(app);
    } else this.fresh.set(app, n);
    this.schedule();
  }

  /** One write per turn; events arriving while a write runs go in the next one. */
  private schedule(): void {
    if (!this.flushing) this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.write());
  }

  private async write(): Promise<void> {
    const batch = this.buffer;
    const full = [...this.full];
    this.buffer = [];
    this.full.clear();
    try {
      await this.core.store.webhooks.enqueue(batch);
      for (const app of full) this.onFull(app);
    } catch (err) {
      this.core.log.error({ err, events: batch.length }, 'webhook events lost: the store refused them');
    } finally {
      this.flushing = undefined;
      if (this.buffer.length) this.schedule();
    }
  }
}

/** Whether the app has a webhook URL that takes `type` (and, for a channel's message, that channel's prefix). */
function wants(rec: AppRecord | undefined, type: WebhookEventType, channel?: string): boolean {
  const s = rec?.settings.webhooks;
  if (!s || !s.url || !s.events.includes(type)) return false;
  return channel === undefined || s.publishedChannels.some((p) => channel.startsWith(p));
}
