// FCM HTTP v1 and Google's OAuth token endpoint on 127.0.0.1 (plain HTTP: both base URLs are
// configurable). The token endpoint verifies the service account's RS256 assertion (issuer, audience,
// scope, lifetime) with the account's public key; messages:send accepts only tokens it issued and
// answers per registration token: success, UNREGISTERED (404), a bad-token INVALID_ARGUMENT, a
// payload INVALID_ARGUMENT, 429 with Retry-After, or 500 — the bodies FCM documents.
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

export type FcmAnswer = 'ok' | 'unregistered' | 'invalidToken' | 'badPayload' | 'throttle' | 'error500';

export interface FcmReceived { token: string; message: any; at: number }

export interface FcmFake {
  url: string;
  projectId: string;
  /** The service-account JSON to configure the app with (its key made for this fake). */
  serviceAccount: { type: string; project_id: string; client_email: string; private_key: string; private_key_id: string };
  received: FcmReceived[];
  /** Requests refused as malformed (bad assertion, unknown bearer): a test expects none unless it provoked them. */
  errors: string[];
  tokenRequests: number;
  attempts: Map<string, number>;
  answer(token: string, a: FcmAnswer, retryAfterSec?: number): void;
  /** Forget every access token issued so far (the next send gets 401 UNAUTHENTICATED). */
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

const err = (status: number, code: string, message: string, detail?: object) => ({
  status, body: { error: { code: status, message, status: code, details: detail ? [detail] : [] } },
});
const fcmError = (errorCode: string) => ({ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode });

export async function startFcmFake(): Promise<FcmFake> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const projectId = 'xpush-test';
  const sa = {
    type: 'service_account', project_id: projectId, client_email: `push@${projectId}.iam.gserviceaccount.com`,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), private_key_id: randomBytes(8).toString('hex'),
  };
  const pub = publicKey;
  const live = new Set<string>();
  const answers = new Map<string, { a: FcmAnswer; retryAfterSec: number }>();
  const received: FcmReceived[] = [];
  const errors: string[] = [];
  const attempts = new Map<string, number>();
  let url = '';
  const state = { tokenRequests: 0 };

  async function token(body: string): Promise<{ status: number; body: object }> {
    state.tokenRequests++;
    const f = new URLSearchParams(body);
    if (f.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type' } };
    try {
      const { payload, protectedHeader } = await jwtVerify(f.get('assertion') ?? '', pub, { issuer: sa.client_email, audience: `${url}/token`, algorithms: ['RS256'] });
      if (protectedHeader.kid !== sa.private_key_id) throw new Error('kid is not the key id');
      if (!String(payload.scope).split(' ').includes('https://www.googleapis.com/auth/firebase.messaging')) throw new Error(`scope ${String(payload.scope)}`);
      if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || payload.exp - payload.iat > 3600) throw new Error('lifetime over 1 h');
    } catch (e) {
      errors.push(`assertion: ${(e as Error).message}`);
      return { status: 400, body: { error: 'invalid_grant', error_description: (e as Error).message } };
    }
    const t = 'ya29.fake-' + randomBytes(12).toString('hex');
    live.add(t);
    return { status: 200, body: { access_token: t, expires_in: 3599, token_type: 'Bearer' } };
  }

  function send(path: string, auth: string | undefined, body: string): { status: number; body: object; headers?: Record<string, string> } {
    if (path !== `/v1/projects/${projectId}/messages:send`) return err(404, 'NOT_FOUND', `unknown path ${path}`);
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!live.has(bearer)) return err(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    let message: any;
    try { message = JSON.parse(body).message; } catch { return err(400, 'INVALID_ARGUMENT', 'body is not JSON'); }
    const tok = String(message?.token ?? '');
    attempts.set(tok, (attempts.get(tok) ?? 0) + 1);
    const a = answers.get(tok) ?? { a: 'ok', retryAfterSec: 1 };
    switch (a.a) {
      case 'unregistered': return err(404, 'NOT_FOUND', 'Requested entity was not found.', fcmError('UNREGISTERED'));
      case 'invalidToken': return err(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', fcmError('INVALID_ARGUMENT'));
      case 'badPayload': return err(400, 'INVALID_ARGUMENT', 'Invalid value at \'message.data[0].value\'', { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [] });
      case 'throttle': return { ...err(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', fcmError('QUOTA_EXCEEDED')), headers: { 'retry-after': String(a.retryAfterSec) } };
      case 'error500': return err(500, 'INTERNAL', 'Internal error.', fcmError('INTERNAL'));
    }
    const data = message.data ?? {};
    if (Object.values(data).some((v) => typeof v !== 'string')) {
      errors.push('data values must be strings');
      return err(400, 'INVALID_ARGUMENT', 'data values must be strings');
    }
    received.push({ token: tok, message, at: Date.now() });
    return { status: 200, body: { name: `projects/${projectId}/messages/${randomBytes(8).toString('hex')}` } };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const done = (r: { status: number; body: object; headers?: Record<string, string> }) => {
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(JSON.stringify(r.body));
      };
      if (req.method === 'POST' && req.url === '/token') void token(body).then(done);
      else if (req.method === 'POST') done(send(req.url ?? '', req.headers.authorization, body));
      else done(err(405, 'INVALID_ARGUMENT', 'POST only'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url, projectId, serviceAccount: sa, received, errors, attempts,
    get tokenRequests() { return state.tokenRequests; },
    answer(tok, a, retryAfterSec = 1) { answers.set(tok, { a, retryAfterSec }); },
    revokeAccessTokens() { live.clear(); },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
