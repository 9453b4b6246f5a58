import { importPKCS8, SignJWT, type CryptoKey } from 'jose';
import type { PushTargetRecord } from '../store/push-store.ts';
import { boundedKey, httpReason, parseRetryAfter, stringValues, type PushNotification, type PushProvider, type SendOutcome } from './provider.ts';

export const FCM_BASE_URL = 'https://fcm.googleapis.com';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

export interface FcmCredentials {
  projectId: string;
  clientEmail: string;
  privateKey: string;
  privateKeyId?: string;
  baseUrl: string;
  tokenUrl: string;
}

/** The Google token endpoint refused us or failed: no send was attempted. */
class TokenError extends Error {
  constructor(readonly outcome: Exclude<SendOutcome, { status: 'sent' }>) {
    super(outcome.reason);
  }
}

/**
 * FCM HTTP v1 without firebase-admin (its host is fixed and v14 needs Node 22): a service-account
 * RS256 assertion exchanged for an OAuth access token (cached until a minute before it expires, one
 * exchange at a time), then `messages:send` with Node's fetch. Both URLs are configurable.
 */
export class FcmProvider implements PushProvider {
  readonly kind = 'fcm' as const;
  private key: Promise<CryptoKey> | undefined;
  private token: { value: string; expiresAt: number } | undefined;
  private fetching: Promise<string> | undefined;

  constructor(private readonly c: FcmCredentials, private readonly timeoutMs: number) {}

  /** Parses the private key once; a key that does not parse rejects here (checked when it is stored, too). */
  static async checkKey(pem: string): Promise<void> {
    await importPKCS8(pem, 'RS256');
  }

  async send(t: PushTargetRecord, n: PushNotification): Promise<SendOutcome> {
    const body = JSON.stringify({ message: this.message(t.token, n) });
    for (let fresh = 0; ; fresh++) {
      let access: string;
      try {
        access = await this.accessToken();
      } catch (err) {
        return err instanceof TokenError ? err.outcome : { status: 'retry', reason: 'oauth_network', detail: (err as Error).message };
      }
      let res: Response;
      try {
        res = await fetch(`${this.c.baseUrl}/v1/projects/${encodeURIComponent(this.c.projectId)}/messages:send`, {
          method: 'POST',
          headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        return { status: 'retry', reason: 'network', detail: (err as Error).message };
      }
      const text = await res.text().catch(() => '');
      if (res.ok) return { status: 'sent' };
      if (res.status === 401 && fresh === 0) {
        this.token = undefined; // revoked or expired early: one more try with a new token
        continue;
      }
      return classify(res.status, text, parseRetryAfter(res.headers.get('retry-after')));
    }
  }

  private message(token: string, n: PushNotification): Record<string, unknown> {
    const data = stringValues(n.badge === undefined ? n.data : { ...n.data, badge: n.badge });
    const collapse = boundedKey(n.collapseKey, 64);
    return {
      token,
      ...(n.alert ? { notification: { title: n.alert.title, body: n.alert.body } } : {}),
      data,
      android: {
        collapse_key: collapse,
        priority: n.alert ? 'HIGH' : 'NORMAL',
        ttl: `${n.ttlSec}s`,
        ...(n.alert ? { notification: { tag: collapse, ...(n.badge !== undefined ? { notification_count: n.badge } : {}) } } : {}),
      },
      apns: {
        headers: { 'apns-collapse-id': collapse },
        payload: { aps: n.alert ? (n.badge !== undefined ? { badge: n.badge } : {}) : { 'content-available': 1 } },
      },
    };
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - 60_000 > Date.now()) return this.token.value;
    this.fetching ??= this.exchange().finally(() => { this.fetching = undefined; });
    return this.fetching;
  }

  private async exchange(): Promise<string> {
    this.key ??= importPKCS8(this.c.privateKey, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(this.c.privateKeyId ? { kid: this.c.privateKeyId } : {}) })
      .setIssuer(this.c.clientEmail)
      .setAudience(this.c.tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await this.key);
    let res: Response;
    try {
      res = await fetch(this.c.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new TokenError({ status: 'retry', reason: 'oauth_network', detail: (err as Error).message });
    }
    const text = await res.text().catch(() => '');
    let j: { access_token?: unknown; expires_in?: unknown } = {};
    try { j = JSON.parse(text); } catch { /* not JSON: handled below */ }
    if (!res.ok || typeof j.access_token !== 'string') {
      // A refused assertion (wrong key or account) may be fixed by the admin: retried with backoff, never pruned.
      throw new TokenError({ status: 'retry', reason: `oauth_${res.status}`, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')), detail: text.slice(0, 300) });
    }
    const ttl = typeof j.expires_in === 'number' ? j.expires_in : 3600;
    this.token = { value: j.access_token, expiresAt: Date.now() + ttl * 1000 };
    return j.access_token;
  }

  async close(): Promise<void> {
    this.token = undefined;
  }
}

interface FcmErrorBody { error?: { status?: string; message?: string; details?: { '@type'?: string; errorCode?: string }[] } }

/**
 * FCM v1 errors (firebase.google.com/docs/cloud-messaging/error-codes): UNREGISTERED (404) and an
 * INVALID_ARGUMENT about the registration token are the token's death; any other INVALID_ARGUMENT is
 * our payload's fault; 429 and 5xx are retried.
 */
export function classify(status: number, text: string, retryAfterMs: number | undefined): SendOutcome {
  let e: FcmErrorBody['error'];
  try { e = (JSON.parse(text) as FcmErrorBody).error; } catch { e = undefined; }
  const fcm = e?.details?.find((d) => d['@type']?.endsWith('google.firebase.fcm.v1.FcmError'))?.errorCode;
  const reason = fcm ?? e?.status ?? httpReason(status);
  const detail = e?.message ?? text.slice(0, 300);
  if (status === 404 || fcm === 'UNREGISTERED') return { status: 'gone', reason: 'UNREGISTERED' };
  if (status === 400 && fcm === 'INVALID_ARGUMENT' && /registration token/i.test(e?.message ?? '')) return { status: 'gone', reason: 'INVALID_ARGUMENT' };
  if (status === 429 || status >= 500) return { status: 'retry', reason, retryAfterMs, detail };
  if (status === 401) return { status: 'retry', reason: 'UNAUTHENTICATED', retryAfterMs, detail };
  return { status: 'rejected', reason, detail };
}
