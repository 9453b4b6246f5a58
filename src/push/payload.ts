import type { MessageRecord } from '../store/store.ts';
import type { PushSettings } from '../protocol/push.ts';
import type { PushNotification } from './provider.ts';

/** A message notification as the outbox stores it; the badge is added at send time (fresh unread total). */
export interface MessagePayload {
  type: 'message';
  title: string;
  body: string;
  channel: string;
  offset: number;
  event: string;
  sender: string;
}

/** A data-only push from the app's backend (server API `POST /push`). */
export interface DataPayload {
  type: 'data';
  data: Record<string, unknown>;
  /** Checked again at send time: the user may have connected since. */
  offlineOnly: boolean;
}

export type OutboxPayload = MessagePayload | DataPayload;

const TITLE_CHARS = 64;
/** The badge's room in the size check: unread totals up to 7 digits. */
const BADGE_ROOM = 9_999_999;

/**
 * The notification for a stored message, within `maxPayloadBytes` (as the providers will carry it:
 * title, body, badge, channel, offset, event, sender). The body preview is what gives way: cut
 * (with "…") until the whole fits, or dropped if the channel and sender names alone fill it.
 */
export function messagePayload(rec: MessageRecord, s: PushSettings): MessagePayload {
  const title = cut(rec.senderUser || rec.channel, TITLE_CHARS);
  const text = s.preview ? previewOf(rec.data) : '';
  const base: MessagePayload = {
    type: 'message', title, body: '', channel: rec.channel, offset: rec.offset, event: rec.event, sender: rec.senderUser,
  };
  const fallback = rec.event === 'message' ? 'New message' : `New ${cut(rec.event, 32)}`;
  const fits = (body: string) => payloadBytes({ ...base, body }) <= s.maxPayloadBytes;
  const wanted = text || fallback;
  if (fits(wanted)) return { ...base, body: wanted };
  // Longest prefix that fits (binary search over code points, so no character is split).
  const chars = Array.from(wanted);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(chars.slice(0, mid).join('') + '…')) lo = mid;
    else hi = mid - 1;
  }
  return { ...base, body: lo > 0 ? chars.slice(0, lo).join('') + '…' : '' };
}

/** Bytes of the notification as sent (the shape every provider's payload is built from). */
export function payloadBytes(p: MessagePayload): number {
  const n = toNotification(p, BADGE_ROOM, 'c:' + p.channel, 0);
  return Buffer.byteLength(JSON.stringify({ alert: n.alert, badge: n.badge, data: n.data }));
}

/** The text a message shows: a string payload, or its `text` (or `body`) field. */
export function previewOf(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data && typeof data === 'object') {
    const d = data as { text?: unknown; body?: unknown };
    if (typeof d.text === 'string') return d.text;
    if (typeof d.body === 'string') return d.body;
  }
  return '';
}

/** Users a message names: `data.mentions`, an array of user ids (what the `mentions` push mode matches). */
export function mentionsOf(data: unknown): Set<string> {
  const m = data && typeof data === 'object' ? (data as { mentions?: unknown }).mentions : undefined;
  return new Set(Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string') : []);
}

export function toNotification(p: OutboxPayload, badge: number | undefined, collapseKey: string, ttlSec: number): PushNotification {
  if (p.type === 'data') return { data: p.data, collapseKey, ttlSec };
  return {
    alert: { title: p.title, body: p.body },
    badge,
    data: { channel: p.channel, offset: p.offset, event: p.event, sender: p.sender },
    collapseKey,
    ttlSec,
  };
}

function cut(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max - 1).join('') + '…';
}
