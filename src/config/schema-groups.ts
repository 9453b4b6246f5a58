import { Type } from 'typebox';
import { KindFields } from '../protocol/schemas.ts';
import { flag, optionalString, positive, strings } from './kit.ts';

const strict = { additionalProperties: false } as const;

/** Channels whose name starts with `prefix` get these unless their creation names them (longest prefix wins). */
export const ChannelNamespaceSchema = Type.Object({ prefix: Type.String({ minLength: 1 }), ...KindFields }, strict);

export const WebhookDeliverySchema = Type.Object({
  timeoutMs: positive(5000, 'How long one POST may take before it counts as failed, ms.'),
  retryBaseMs: positive(1000, 'Delay before the first retry, ms; doubles with each further attempt (±20 % jitter).'),
  retryMaxMs: positive(900_000, 'Longest delay between two attempts, ms. At least retryBaseMs.'),
  maxAttempts: positive(16, 'Attempts per event before it is dropped (and the drop logged); 16 is about 1.5 h with the delays above.'),
  pollMs: positive(250, 'How often each node looks for due batches, ms. Lower = closer to maxWaitMs, more store queries.'),
  concurrency: positive(4, 'Batches one node sends at the same time.'),
  logSize: positive(100, 'Delivery attempts kept per app for the admin API.'),
}, { ...strict, description: 'How webhook batches are sent (docs/webhooks.md "Delivery and retries"); per-app settings say where and what.' });

export const DEFAULT_WEB_PUSH_HOSTS = [
  'fcm.googleapis.com', 'android.googleapis.com', '*.push.services.mozilla.com', 'web.push.apple.com', '*.push.apple.com', '*.notify.windows.com',
];

/**
 * Server-wide push delivery (`config.push`). Per-app behaviour (delay, throttle, preview, default mode)
 * is in the app settings' `push` group; provider credentials are per app (admin API).
 */
export const PushConfigSchema = Type.Object({
  dispatch: flag(true, 'Run the push outbox dispatcher in this process. Any number of nodes may: each row is leased to one.'),
  pollMs: positive(1000, 'How often an idle dispatcher looks for rows written by other nodes, ms. Lower = quicker, more queries.'),
  leaseMs: positive(60_000, 'A claimed row belongs to its node this long, ms; a node that dies mid-send frees its rows after it. Must exceed requestTimeoutMs.'),
  batch: positive(100, 'Rows claimed per query.'),
  concurrency: positive(32, 'Sends in flight at once per node.'),
  maxAttempts: positive(10, 'Attempts before a notification is given up (logged, counted as failed `gave_up`).'),
  backoffMs: positive(1000, 'First retry delay, ms; doubles per attempt up to maxBackoffMs (Retry-After, when a provider sends one, wins).'),
  maxBackoffMs: positive(300_000, 'Longest retry delay, ms.'),
  requestTimeoutMs: positive(10_000, 'One provider request, ms.'),
  ca: optionalString('Extra trusted CA certificates (PEM) for Web Push endpoints and APNs, besides the system roots (a proxy, a test CA).', {
    pattern: '-----BEGIN CERTIFICATE-----', expected: 'PEM certificates (-----BEGIN CERTIFICATE----- …)',
  } as object),
  webPushHosts: strings(DEFAULT_WEB_PUSH_HOSTS, 'Hosts a Web Push subscription may point at (`*.example.com` matches subdomains; `*` any). The endpoint comes from the browser, so this keeps users from making the server POST to internal addresses. Default: the push services of Chrome/Edge/Opera (FCM), Firefox, Safari and Windows.'),
}, { ...strict, description: 'Push to offline devices: the outbox dispatcher, trusted CAs, allowed Web Push hosts (README "Push notifications").' });

/** Channel kinds, retention, webhooks and push. */
export const DeliverySettings = {
  channelNamespaces: Type.Array(ChannelNamespaceSchema, {
    default: [], expected: 'a list of {prefix, kind?, cacheSize?, retention?: {maxAgeSec?, maxCount?}}',
    description: 'Channel kinds by name prefix, e.g. `[{"prefix": "game:", "kind": "ephemeral"}, {"prefix": "ticker:", "kind": "cache"}, {"prefix": "support:", "retention": {"maxAgeSec": 2592000}}]`; applied when a channel is created. Empty: durable, kept forever. In env and flags: the JSON array.',
  }),
  retentionSweepMs: positive(60_000, 'How often the background trim enforces retention, ms.'),
  webhookDelivery: WebhookDeliverySchema,
  push: PushConfigSchema,
};
