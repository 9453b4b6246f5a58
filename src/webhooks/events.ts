import type { Hooks, PushFailure } from '../hooks.ts';
import type { WebhookEventType } from '../protocol/backend-settings.ts';

export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../protocol/backend-settings.ts';

/** The `data` of each event type (docs/webhooks.md "Events"). */
export interface WebhookEventData {
  /** The channel's first subscriber anywhere in the cluster. */
  'channel.occupied': { channel: string };
  /** The channel's last subscriber anywhere in the cluster is gone. */
  'channel.vacated': { channel: string };
  'member.added': { channel: string; user: string };
  'member.removed': { channel: string; user: string };
  /** The user's first connection, after being offline. */
  'user.online': { user: string };
  /** The user's last connection is gone and stayed gone for presenceDelayMs. */
  'user.offline': { user: string };
  /** A stored publication, in a channel the app opted in for (webhooks.publishedChannels). */
  'message.published': { channel: string; offset: number; id: string; event: string; data: unknown; user: string; device: string; client: string; time: number };
  'push.failed': PushFailure;
}

/** One event in a batch, as POSTed. */
export interface WebhookEvent<K extends WebhookEventType = WebhookEventType> {
  /** Unique; a receiver de-duplicates by it (delivery is at least once). */
  id: string;
  type: K;
  /** When it happened, epoch ms. */
  time: number;
  /** Which delivery attempt of this event the batch is (1 = first). */
  attempt: number;
  data: WebhookEventData[K];
}

/** The POST body. */
export interface WebhookBatch {
  app: string;
  /** This POST's id (the delivery log lists it; a retry is a new delivery). */
  delivery: string;
  events: WebhookEvent[];
}

/**
 * What the push service calls when a notification could not be delivered: raises the
 * `afterPushFailed` hook, which queues the `push.failed` webhook (and reaches in-process hooks).
 */
export function emitPushFailed(core: { hooks: Hooks }, app: string, failure: PushFailure): void {
  core.hooks.after('afterPushFailed', { app, ...failure });
}
