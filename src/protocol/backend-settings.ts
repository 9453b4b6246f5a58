import { Type, type Static } from 'typebox';

/**
 * The two per-app settings groups that point XPUSH at the app's own backend: `proxy` (XPUSH asks the
 * backend before acting on a client command) and `webhooks` (XPUSH tells the backend what happened).
 * Part of AppSettings (app-settings.ts); every field has a default, '' means "off" for a URL.
 */
const Url = Type.String({ maxLength: 2048, pattern: '^(https?://\\S+)?$', description: "An http(s) URL, or '' for none" });

export const ProxySettingsSchema = Type.Object({
  /** Asked on `connect` without a token: authenticates the connection (user, info, channels). */
  connectUrl: Url,
  /** Asked when a proxy-authenticated connection reaches its `expire_at`: extend it or end it. */
  refreshUrl: Url,
  /** Asked on every client `subscribe` (not on server-side subscriptions). */
  subscribeUrl: Url,
  /** Asked on every client publish: may refuse it or replace its data. */
  publishUrl: Url,
  /** Asked when a proxy-granted subscription reaches its `expire_at`. */
  subRefreshUrl: Url,
  /** Answers `rpc` methods that are neither built in nor registered in-process (see rpcPrefix). */
  rpcUrl: Url,
  /** Only methods starting with this go to rpcUrl; '' = every method not built in or registered. */
  rpcPrefix: Type.String({ maxLength: 128 }),
  /** How long XPUSH waits for the backend per call, ms; then the command fails with 504 (temporary). */
  timeoutMs: Type.Integer({ minimum: 50, maximum: 60_000 }),
}, { additionalProperties: false });

export type ProxySettings = Static<typeof ProxySettingsSchema>;

export const DEFAULT_PROXY_SETTINGS: ProxySettings = Object.freeze({
  connectUrl: '', refreshUrl: '', subscribeUrl: '', publishUrl: '', subRefreshUrl: '', rpcUrl: '', rpcPrefix: '', timeoutMs: 1000,
});

/** Every event a webhook can carry (docs/webhooks.md "Events"). */
export const WEBHOOK_EVENT_TYPES = [
  'channel.occupied', 'channel.vacated', 'member.added', 'member.removed',
  'user.online', 'user.offline', 'message.published', 'push.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WebhookSettingsSchema = Type.Object({
  /** Where batches are POSTed; '' = webhooks off (nothing is queued). */
  url: Url,
  /** Which event types are sent. Default: all of them (message.published also needs publishedChannels). */
  events: Type.Array(Type.Union([
    Type.Literal('channel.occupied'), Type.Literal('channel.vacated'), Type.Literal('member.added'), Type.Literal('member.removed'),
    Type.Literal('user.online'), Type.Literal('user.offline'), Type.Literal('message.published'), Type.Literal('push.failed'),
  ]), { maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true }),
  /** message.published is sent only for channels starting with one of these prefixes ('' = every channel). Default none. */
  publishedChannels: Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 }),
  /** Most events in one POST. Default 100. */
  maxBatch: Type.Integer({ minimum: 1, maximum: 1000 }),
  /** How long an event may wait for others to share its POST, ms. Lower = sooner, more requests. Default 1000. */
  maxWaitMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
}, { additionalProperties: false });

export type WebhookSettings = Static<typeof WebhookSettingsSchema>;

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = Object.freeze({
  url: '', events: [...WEBHOOK_EVENT_TYPES], publishedChannels: [], maxBatch: 100, maxWaitMs: 1000,
});
