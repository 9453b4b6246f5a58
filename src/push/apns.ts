import http2 from 'node:http2';
import { importPKCS8, SignJWT, type CryptoKey } from 'jose';
import type { PushTargetRecord } from '../store/push-store.ts';
import { boundedKey, httpReason, parseRetryAfter, type PushNotification, type PushProvider, type SendOutcome } from './provider.ts';

export const APNS_PRODUCTION_URL = 'https://api.push.apple.com:443';
export const APNS_SANDBOX_URL = 'https://api.sandbox.push.apple.com:443';

/** Apple: refresh the provider token no more than once every 20 minutes and no less than once an hour. */
const JWT_REUSE_MS = 50 * 60_000;

export interface ApnsCredentials {
  /** .p8 signing key, PKCS#8 PEM (P-256). */
  key: string;
  keyId: string;
  teamId: string;
  topic: string;
  productionUrl: string;
  sandboxUrl: string;
}

/** Apple's answers that mean the device token is dead: the target is removed. */
const GONE = new Set(['Unregistered', 'ExpiredToken', 'BadDeviceToken', 'DeviceTokenNotForTopic']);

interface Http2Answer { status: number; body: string; headers: http2.IncomingHttpHeaders }

/**
 * APNs provider API with token auth over HTTP/2 (node:http2): one long-lived session per origin
 * (production, sandbox) that every send multiplexes onto, dropped and reopened on GOAWAY, close or
 * error; an ES256 provider JWT reused for 50 minutes (regenerated early only when Apple says it
 * expired).
 */
export class ApnsProvider implements PushProvider {
  readonly kind = 'apns' as const;
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();
  private key: Promise<CryptoKey> | undefined;
  private jwt: { value: Promise<string>; at: number } | undefined;
  private closed = false;

  constructor(private readonly c: ApnsCredentials, private readonly opts: { ca?: string[]; timeoutMs: number }) {}

  static async checkKey(pem: string): Promise<void> {
    await importPKCS8(pem, 'ES256');
  }

  async send(t: PushTargetRecord, n: PushNotification): Promise<SendOutcome> {
    const origin = t.environment === 'sandbox' ? this.c.sandboxUrl : this.c.productionUrl;
    const aps = n.alert
      ? { alert: { title: n.alert.title, body: n.alert.body }, ...(n.badge !== undefined ? { badge: n.badge } : {}), sound: 'default', 'thread-id': n.collapseKey }
      : { 'content-available': 1 };
    const body = JSON.stringify({ ...n.data, aps });
    let refused: Promise<string> | undefined;
    for (;;) {
      let a: Http2Answer;
      const jwt = this.bearer(refused);
      try {
        const headers = {
          ':method': 'POST',
          ':path': `/3/device/${t.token}`,
          authorization: `bearer ${await jwt}`,
          'apns-topic': this.c.topic,
          'apns-push-type': n.alert ? 'alert' : 'background',
          'apns-priority': n.alert ? '10' : '5',
          'apns-expiration': String(n.ttlSec === 0 ? 0 : Math.floor(Date.now() / 1000) + n.ttlSec),
          'apns-collapse-id': boundedKey(n.collapseKey, 64),
          'content-type': 'application/json',
        };
        a = await this.request(origin, headers, body);
      } catch (err) {
        return { status: 'retry', reason: 'network', detail: (err as Error).message };
      }
      if (a.status === 200) return { status: 'sent' };
      let reason = httpReason(a.status);
      try { reason = (JSON.parse(a.body) as { reason?: string }).reason ?? reason; } catch { /* no JSON body */ }
      if (a.status === 403 && (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken') && !refused) {
        refused = jwt;
        continue;
      }
      if ((a.status === 410 || a.status === 400) && GONE.has(reason)) return { status: 'gone', reason };
      if (a.status === 429 || a.status >= 500) return { status: 'retry', reason, retryAfterMs: parseRetryAfter(a.headers['retry-after']) };
      if (a.status === 403) return { status: 'retry', reason }; // credentials: the admin may fix them; retried with backoff
      return { status: 'rejected', reason, detail: a.body.slice(0, 300) };
    }
  }

  /**
   * Concurrent sends share one JWT (the promise is cached, not just the value). `refused` is a JWT
   * APNs called expired: replaced unless another send already did.
   */
  private bearer(refused?: Promise<string>): Promise<string> {
    const j = this.jwt;
    if (j && Date.now() - j.at < JWT_REUSE_MS && j.value !== refused) return j.value;
    const at = Date.now();
    this.key ??= importPKCS8(this.c.key, 'ES256');
    const value = this.key.then((k) => new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.c.keyId })
      .setIssuer(this.c.teamId)
      .setIssuedAt(Math.floor(at / 1000))
      .sign(k));
    value.catch(() => { if (this.jwt?.value === value) this.jwt = undefined; });
    this.jwt = { value, at };
    return value;
  }

  private session(origin: string): http2.ClientHttp2Session {
    const live = this.sessions.get(origin);
    if (live && !live.closed && !live.destroyed) return live;
    const s = http2.connect(origin, { ca: this.opts.ca });
    // After GOAWAY the session finishes its streams but takes no new ones: the next send opens another.
    const drop = (): void => {
      if (this.sessions.get(origin) === s) this.sessions.delete(origin);
    };
    s.on('goaway', drop);
    s.on('close', drop);
    s.on('error', drop); // the pending requests reject on their own; without a listener the error would crash the process
    this.sessions.set(origin, s);
    return s;
  }

  private request(origin: string, headers: http2.OutgoingHttpHeaders, body: string): Promise<Http2Answer> {
    if (this.closed) return Promise.reject(new Error('provider closed'));
    return new Promise((resolve, reject) => {
      const req = this.session(origin).request(headers);
      const chunks: Buffer[] = [];
      let head: http2.IncomingHttpHeaders = {};
      req.setTimeout(this.opts.timeoutMs, () => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        reject(new Error(`APNs request timed out after ${this.opts.timeoutMs} ms`));
      });
      req.on('response', (h) => { head = h; });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve({ status: Number(head[':status'] ?? 0), body: Buffer.concat(chunks).toString('utf8'), headers: head }));
      req.on('error', reject);
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => new Promise<void>((r) => (s.closed ? r() : s.close(() => r())))));
  }
}
