// A Web Push service on 127.0.0.1 over TLS (certificate from the test CA). For every request it
// checks what a real push service checks — POST, TTL, aes128gcm, a VAPID `Authorization: vapid t=…, k=…`
// whose ES256 JWT verifies with k, names this origin as aud, has a near exp and a mailto:/https: sub —
// and then DECRYPTS the body as the browser would (http_ece, with the subscription's private key).
// Each subscription answers 201, "gone" (410/404) or 429 with Retry-After, as the test asks.
import https from 'node:https';
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { decrypt } from 'http_ece';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { testCa } from './test-ca.ts';

export type FakeAnswer = 'ok' | 'gone' | 'notfound' | 'throttle' | 'error500';

export interface WebPushReceived {
  /** Which subscription (the endpoint path's last segment). */
  id: string;
  /** The decrypted payload, parsed. */
  payload: any;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

export interface BrowserSubscription {
  id: string;
  /** What `PushSubscription.toJSON()` gives a page: send it to the server. */
  json: { endpoint: string; keys: { p256dh: string; auth: string } };
}

export interface WebPushFake {
  url: string;
  /** The test CA (PEM) that signed this fake's certificate. */
  ca: string;
  received: WebPushReceived[];
  /** Requests the fake refused as malformed (bad VAPID, undecryptable): a test expects none. */
  errors: string[];
  /** Requests per subscription id, whatever the answer. */
  attempts: Map<string, number>;
  /** A new browser subscription: key pair and auth secret, endpoint on this fake. */
  subscribe(): BrowserSubscription;
  /** How the subscription answers from now on (`throttle` sends Retry-After: retryAfterSec). */
  answer(id: string, a: FakeAnswer, retryAfterSec?: number): void;
  /** The VAPID public key every request must carry (`k=`). */
  expectVapidKey(k: string): void;
  close(): Promise<void>;
}

export async function startWebPushFake(): Promise<WebPushFake> {
  const ca = await testCa();
  const { cert, key } = await ca.issue();
  const subs = new Map<string, { ecdh: ECDH; auth: string; answer: FakeAnswer; retryAfterSec: number }>();
  const received: WebPushReceived[] = [];
  const errors: string[] = [];
  const attempts = new Map<string, number>();
  let vapidKey: string | undefined;
  let origin = '';

  const server = https.createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, Buffer.concat(chunks)).then(([status, headers]) => {
        res.writeHead(status, headers);
        res.end();
      });
    });
  });

  async function handle(req: import('node:http').IncomingMessage, body: Buffer): Promise<[number, Record<string, string>]> {
    const id = (req.url ?? '').split('/').pop() ?? '';
    const sub = subs.get(id);
    attempts.set(id, (attempts.get(id) ?? 0) + 1);
    const refuse = (why: string): [number, Record<string, string>] => {
      errors.push(`${id}: ${why}`);
      return [400, {}];
    };
    if (req.method !== 'POST') return refuse(`method ${req.method}`);
    if (!sub) return [404, {}];
    if (sub.answer === 'gone') return [410, {}];
    if (sub.answer === 'notfound') return [404, {}];
    if (sub.answer === 'throttle') return [429, { 'retry-after': String(sub.retryAfterSec) }];
    if (sub.answer === 'error500') return [500, {}];
    if (!req.headers.ttl || !/^\d+$/.test(String(req.headers.ttl))) return refuse('TTL header missing');
    if (req.headers['content-encoding'] !== 'aes128gcm') return refuse(`content-encoding ${req.headers['content-encoding']}`);
    const m = /^vapid t=([^,]+), k=(.+)$/.exec(String(req.headers.authorization ?? ''));
    if (!m) return refuse(`authorization ${req.headers.authorization}`);
    const [, jwt, k] = m as unknown as [string, string, string];
    if (vapidKey && k !== vapidKey) return refuse('VAPID key k= is not the app key');
    try {
      const raw = Buffer.from(k, 'base64url');
      if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
      if (decodeProtectedHeader(jwt).alg !== 'ES256') throw new Error('alg is not ES256');
      const pub = await importJWK({ kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, 'ES256');
      const { payload } = await jwtVerify(jwt, pub, { audience: origin });
      if (typeof payload.exp !== 'number' || payload.exp > Date.now() / 1000 + 24 * 3600) throw new Error('exp missing or more than 24 h ahead');
      if (typeof payload.sub !== 'string' || !/^(mailto:|https:)/.test(payload.sub)) throw new Error(`sub ${String(payload.sub)}`);
    } catch (err) {
      return refuse(`VAPID JWT: ${(err as Error).message}`);
    }
    let plain: Buffer;
    try {
      plain = decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth });
    } catch (err) {
      return refuse(`decrypt: ${(err as Error).message}`);
    }
    let payload: unknown;
    try { payload = JSON.parse(plain.toString('utf8')); } catch { return refuse('payload is not JSON'); }
    received.push({ id, payload, headers: req.headers, at: Date.now() });
    return [201, {}];
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin, ca: ca.caPem, received, errors, attempts,
    subscribe() {
      const id = 'sub' + randomBytes(6).toString('hex');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16).toString('base64url');
      subs.set(id, { ecdh, auth, answer: 'ok', retryAfterSec: 1 });
      return { id, json: { endpoint: `${origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } } };
    },
    answer(id, a, retryAfterSec = 1) {
      const s = subs.get(id);
      if (!s) throw new Error(`no subscription ${id}`);
      s.answer = a;
      s.retryAfterSec = retryAfterSec;
    },
    expectVapidKey(k) { vapidKey = k; },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
