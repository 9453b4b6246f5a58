import { createHmac, timingSafeEqual } from 'node:crypto';
import type { BlobKey } from './blob-store.ts';

/**
 * Download URLs carry `exp` (unix seconds) and `sig`: an HMAC-SHA256 over (app, channel, file, exp)
 * with a key derived from the app secret. Anyone holding the URL may download until `exp`, and only
 * that file: changing any part breaks the signature. The key is derived (not the secret itself) so
 * these signatures can never be confused with the app's token signatures.
 */
function urlKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('xpush file url v1').digest();
}

export function signFile(secret: string, key: BlobKey, exp: number): string {
  // JSON of the parts: unambiguous whatever characters the channel name holds.
  return createHmac('sha256', urlKey(secret)).update(JSON.stringify([key.app, key.channel, key.id, exp])).digest('base64url');
}

export type Verdict = 'ok' | 'expired' | 'bad';

/** Checks the signature first (a forged URL is `bad` even when also expired), then the expiry. */
export function verifyFile(secret: string, key: BlobKey, exp: number, sig: string, nowMs = Date.now()): Verdict {
  const want = Buffer.from(signFile(secret, key, exp));
  const got = Buffer.from(sig);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad';
  return exp * 1000 < nowMs ? 'expired' : 'ok';
}

/** The download path of a file (relative to the server's base URL), signed until `exp`. */
export function signedPath(secret: string, key: BlobKey, exp: number): string {
  const e = encodeURIComponent;
  return `/v1/apps/${e(key.app)}/channels/${e(key.channel)}/files/${e(key.id)}?exp=${exp}&sig=${signFile(secret, key, exp)}`;
}
