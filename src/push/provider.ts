import { createHash } from 'node:crypto';
import type { PushKind, PushTargetRecord } from '../store/push-store.ts';

/**
 * One push provider (Web Push, FCM, APNs) for one app. Implementations: webpush.ts, fcm.ts,
 * apns.ts. The dispatcher (dispatcher.ts) owns retries, pruning and metrics; a provider only turns
 * one notification into one request and the answer into an outcome.
 *
 * Contract:
 * - `send` never throws for anything the provider or the network did: it resolves an outcome.
 * - `gone` only for the provider's exact "this token is dead" answers (the target is deleted).
 * - `rejected` when this notification can never be delivered as is (payload too large, bad request,
 *   credentials refused): the notification is dropped and logged, the target is kept.
 * - `retry` for throttling, server errors and network failures, with the provider's Retry-After.
 * - `close` ends its connections; a send after close resolves `retry` (the registry built a newer provider).
 */
export interface PushProvider {
  readonly kind: PushKind;
  send(target: PushTargetRecord, n: PushNotification): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** What one device is sent: a visible alert (with badge) or data only. */
export interface PushNotification {
  /** Absent for data-only ("silent") pushes. */
  alert?: { title: string; body: string };
  /** Total unread for the app icon (alerts). */
  badge?: number;
  /** Custom key/values for the app (channel, offset, event, sender; or the backend's data). */
  data: Record<string, unknown>;
  /** Notifications with one key replace each other on the device (a channel's latest). */
  collapseKey: string;
  /** How long the provider keeps it for a device that is off, seconds. */
  ttlSec: number;
}

export type SendOutcome =
  | { status: 'sent' }
  | { status: 'gone'; reason: string }
  | { status: 'rejected'; reason: string; detail?: string }
  | { status: 'retry'; reason: string; retryAfterMs?: number; detail?: string };

/** `Retry-After` as seconds or an HTTP date → ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | null | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Data values as strings (FCM's data map is string to string; APNs and Web Push keep JSON). */
export function stringValues(data: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) out[k] = typeof v === 'string' ? v : JSON.stringify(v ?? null);
  return out;
}

/** A status-code reason for metrics labels: `http_429`. */
export function httpReason(status: number): string {
  return `http_${status}`;
}

/** A collapse key within a provider's limit (APNs collapse id: 64 bytes): long keys become a hash. */
export function boundedKey(key: string, max: number): string {
  return Buffer.byteLength(key) <= max ? key : 'h:' + createHash('sha256').update(key).digest('base64url').slice(0, Math.min(43, max - 2));
}
