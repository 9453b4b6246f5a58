// The APNs provider API on 127.0.0.1: HTTP/2 over TLS (certificate from the test CA). Every request
// must carry a provider JWT (ES256, kid = key id, iss = team id, iat within the hour) that verifies
// with the public half of the .p8 key made here, an apns-topic equal to the app's bundle id, an
// apns-push-type and a JSON body with `aps`. Each device token answers 200 (with apns-id), 410
// Unregistered, 400 BadDeviceToken / DeviceTokenNotForTopic, 413 PayloadTooLarge or 429, as asked;
// `goaway()` ends every open session the way APNs does before closing a connection.
import http2 from 'node:http2';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import { testCa } from './test-ca.ts';

export type ApnsAnswer = 'ok' | 'unregistered' | 'badToken' | 'notForTopic' | 'tooLarge' | 'throttle' | 'expiredJwt';

export interface ApnsReceived { token: string; body: any; headers: http2.IncomingHttpHeaders; jwt: string; at: number }

export interface ApnsFake {
  /** https://127.0.0.1:PORT */
  url: string;
  ca: string;
  /** What the app is configured with: the .p8 key (PEM), key id, team id, topic. */
  credentials: { key: string; keyId: string; teamId: string; topic: string };
  received: ApnsReceived[];
  errors: string[];
  attempts: Map<string, number>;
  /** Distinct provider JWTs seen, in order (a client must reuse one for ~an hour). */
  jwts: string[];
  /** TLS sessions opened by clients so far. */
  sessions: number;
  answer(token: string, a: ApnsAnswer): void;
  goaway(): void;
  close(): Promise<void>;
}

export async function startApnsFake(): Promise<ApnsFake> {
  const ca = await testCa();
  const { cert, key } = await ca.issue();
  const p8 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const credentials = { key: p8.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), keyId: 'KEYID12345', teamId: 'TEAMID6789', topic: 'com.example.chat' };
  const answers = new Map<string, ApnsAnswer>();
  const received: ApnsReceived[] = [];
  const errors: string[] = [];
  const attempts = new Map<string, number>();
  const jwts: string[] = [];
  const open = new Set<http2.ServerHttp2Session>();
  const state = { sessions: 0 };

  const server = http2.createSecureServer({ cert, key, allowHTTP1: false });
  server.on('session', (s) => {
    state.sessions++;
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => open.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      void handle(headers, Buffer.concat(chunks).toString('utf8')).then(([status, body, extra]) => {
        if (stream.destroyed) return;
        stream.respond({ ':status': status, ...extra, ...(body ? { 'content-type': 'application/json' } : {}) });
        stream.end(body);
      });
    });
    stream.on('error', () => undefined);
  });

  async function handle(h: http2.IncomingHttpHeaders, raw: string): Promise<[number, string, Record<string, string>]> {
    const reason = (status: number, r: string): [number, string, Record<string, string>] =>
      [status, JSON.stringify(status === 410 ? { reason: r, timestamp: Date.now() } : { reason: r }), { 'apns-id': randomUUID() }];
    const m = /^\/3\/device\/([0-9a-f]+)$/.exec(String(h[':path']));
    if (h[':method'] !== 'POST' || !m) return reason(405, 'MethodNotAllowed');
    const token = m[1]!;
    attempts.set(token, (attempts.get(token) ?? 0) + 1);
    const auth = String(h.authorization ?? '');
    if (!auth.startsWith('bearer ')) {
      errors.push('no bearer');
      return reason(403, 'MissingProviderToken');
    }
    const jwt = auth.slice(7);
    try {
      const { payload, protectedHeader } = await jwtVerify(jwt, p8.publicKey, { issuer: credentials.teamId, algorithms: ['ES256'] });
      if (protectedHeader.kid !== credentials.keyId) throw new Error(`kid ${protectedHeader.kid}`);
      const now = Date.now() / 1000;
      if (typeof payload.iat !== 'number' || payload.iat > now + 60 || payload.iat < now - 3600) throw new Error('iat not within the last hour');
    } catch (e) {
      errors.push(`provider token: ${(e as Error).message}`);
      return reason(403, 'InvalidProviderToken');
    }
    if (!jwts.includes(jwt)) jwts.push(jwt);
    if (h['apns-topic'] !== credentials.topic) {
      errors.push(`apns-topic ${String(h['apns-topic'])}`);
      return reason(400, 'BadTopic');
    }
    if (!h['apns-push-type']) {
      errors.push('no apns-push-type');
      return reason(400, 'InvalidPushType');
    }
    let body: any;
    try { body = JSON.parse(raw); } catch { errors.push('body is not JSON'); return reason(400, 'PayloadEmpty'); }
    if (!body || typeof body.aps !== 'object') {
      errors.push('no aps');
      return reason(400, 'PayloadEmpty');
    }
    switch (answers.get(token) ?? 'ok') {
      case 'unregistered': return reason(410, 'Unregistered');
      case 'badToken': return reason(400, 'BadDeviceToken');
      case 'notForTopic': return reason(400, 'DeviceTokenNotForTopic');
      case 'tooLarge': return reason(413, 'PayloadTooLarge');
      case 'throttle': return reason(429, 'TooManyRequests');
      case 'expiredJwt': {
        answers.set(token, 'ok'); // once: a client that renews its JWT gets through
        return reason(403, 'ExpiredProviderToken');
      }
    }
    received.push({ token, body, headers: h, jwt, at: Date.now() });
    return [200, '', { 'apns-id': randomUUID() }];
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, ca: ca.caPem, credentials, received, errors, attempts, jwts,
    get sessions() { return state.sessions; },
    answer(token, a) { answers.set(token, a); },
    goaway() {
      for (const s of open) s.goaway(http2.constants.NGHTTP2_NO_ERROR);
    },
    close: () => new Promise<void>((r) => {
      for (const s of open) s.destroy();
      server.close(() => r());
    }),
  };
}
