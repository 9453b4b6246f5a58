import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signatures on the HTTP requests XPUSH sends to an app's backend (proxy calls and webhook batches):
 * `X-XPush-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(app secret, "<t>.<raw body>")>`.
 * The timestamp is inside the signed text, so a receiver that refuses old timestamps (5 minutes is the
 * usual window) cannot be fed a captured request later. docs/webhooks.md shows the receiver's check.
 */
export const SIGNATURE_HEADER = 'x-xpush-signature';

/** How old (or how far in the future) a signed request may be when `verifySignature` accepts it. */
export const DEFAULT_TOLERANCE_SEC = 300;

export function signatureHeader(secret: string, body: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/** The receiver's side (tests, and anyone writing a backend in TypeScript). */
export function verifySignature(secret: string, body: string, header: string | undefined, nowMs = Date.now(), toleranceSec = DEFAULT_TOLERANCE_SEC): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
  const t = Number(parts.get('t'));
  const given = parts.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || Math.abs(nowMs / 1000 - t) > toleranceSec) return false;
  const expected = Buffer.from(hmacHex(secret, t, body));
  const got = Buffer.from(given);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function hmacHex(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}
