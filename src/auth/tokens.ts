import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, decodeJwt, errors as joseErrors } from 'jose';
import { Errors } from '../errors.ts';
import type { AppCache } from './app-cache.ts';

/** Claims of a connection (access) token. See docs/protocol.md "Connect". */
export interface TokenClaims {
  sub: string;
  app: string;
  device?: string;
  sid?: string;
  info?: unknown;
  exp: number;
}

export interface VerifiedToken {
  app: string;
  user: string;
  device: string;
  session?: string;
  info?: unknown;
  /** Expiry, seconds since epoch. */
  exp: number;
}

const enc = new TextEncoder();

export async function mintToken(secret: string, c: { app: string; user: string; device?: string; session?: string; info?: unknown; ttlSec: number }): Promise<{ token: string; exp: number }> {
  const exp = Math.floor(Date.now() / 1000) + c.ttlSec;
  const claims: Record<string, unknown> = { app: c.app };
  if (c.device) claims.device = c.device;
  if (c.session) claims.sid = c.session;
  if (c.info !== undefined) claims.info = c.info;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(c.user)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(enc.encode(secret));
  return { token, exp };
}

/**
 * Verifies a connection token: the `app` claim selects the app whose secret must have signed it.
 * Rejects with `Errors.tokenExpired` (109) for a well-signed expired token, `Errors.unauthorized`
 * (101) for anything else wrong — the caller maps that to disconnect 3500.
 */
export async function verifyToken(apps: AppCache, token: unknown): Promise<VerifiedToken> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 8192) throw Errors.unauthorized.with('token is required');
  let appId: unknown;
  try {
    appId = decodeJwt(token).app;
  } catch {
    throw Errors.unauthorized.with('malformed token');
  }
  if (typeof appId !== 'string') throw Errors.unauthorized.with('token has no app claim');
  const app = await apps.get(appId);
  if (!app) throw Errors.unauthorized.with('unknown app');
  try {
    const { payload } = await jwtVerify(token, enc.encode(app.secret), { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] });
    const device = payload.device === undefined ? 'default' : payload.device;
    if (typeof payload.sub !== 'string' || !payload.sub || typeof device !== 'string') throw Errors.unauthorized.with('bad claims');
    if (payload.sid !== undefined && typeof payload.sid !== 'string') throw Errors.unauthorized.with('bad claims');
    return { app: appId, user: payload.sub, device, session: payload.sid as string | undefined, info: payload.info, exp: payload.exp as number };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw Errors.tokenExpired;
    if (err instanceof Error && err.name === 'XPushError') throw err;
    throw Errors.unauthorized.with('invalid token');
  }
}

export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256(token) };
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function randomId(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}
