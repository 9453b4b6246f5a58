import https from 'node:https';
import { createHash } from 'node:crypto';
import webpush from 'web-push';
import type { PushTargetRecord } from '../store/push-store.ts';
import { httpReason, parseRetryAfter, type PushNotification, type PushProvider, type SendOutcome } from './provider.ts';

export interface VapidCredentials {
  subject: string;
  publicKey: string;
  privateKey: string;
}

/** A new VAPID key pair (URL-safe base64, as browsers' applicationServerKey wants the public one). */
export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  return webpush.generateVAPIDKeys();
}

/**
 * Web Push (RFC 8030/8291/8292) through the `web-push` library: payload encrypted with aes128gcm
 * to the subscription's keys, VAPID-signed. 404/410 mean the subscription is gone (RFC 8030 §7.3).
 */
export class WebPushProvider implements PushProvider {
  readonly kind = 'webpush' as const;
  private readonly agent: https.Agent;
  private readonly timeoutMs: number;

  constructor(private readonly vapid: VapidCredentials, opts: { ca?: string[]; timeoutMs: number }) {
    // keepAlive: one TLS connection per push service is reused across sends.
    this.agent = new https.Agent({ keepAlive: true, ca: opts.ca, timeout: opts.timeoutMs });
    this.timeoutMs = opts.timeoutMs;
  }

  async send(t: PushTargetRecord, n: PushNotification): Promise<SendOutcome> {
    if (!t.keys) return { status: 'gone', reason: 'no_keys' };
    const body = n.alert ? { title: n.alert.title, body: n.alert.body, badge: n.badge, tag: n.collapseKey, data: n.data } : { data: n.data };
    try {
      await webpush.sendNotification({ endpoint: t.token, keys: t.keys }, JSON.stringify(body), {
        TTL: n.ttlSec,
        urgency: n.alert ? 'high' : 'normal',
        topic: topicOf(n.collapseKey),
        contentEncoding: 'aes128gcm',
        vapidDetails: this.vapid,
        agent: this.agent,
        timeout: this.timeoutMs,
      });
      return { status: 'sent' };
    } catch (err) {
      if (!(err instanceof webpush.WebPushError)) return { status: 'retry', reason: 'network', detail: (err as Error).message };
      const s = err.statusCode;
      if (s === 404 || s === 410) return { status: 'gone', reason: httpReason(s) };
      if (s === 429 || s >= 500) return { status: 'retry', reason: httpReason(s), retryAfterMs: parseRetryAfter(err.headers?.['retry-after']), detail: err.body };
      return { status: 'rejected', reason: httpReason(s), detail: err.body };
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

/** The Topic header (collapse on the push service): at most 32 URL-safe base64 characters. */
function topicOf(collapseKey: string): string {
  return createHash('sha256').update(collapseKey).digest('base64url').slice(0, 32);
}
