import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Core } from '../domain/context.ts';
import type { AppRecord } from '../store/store.ts';
import type { Actor } from '../hooks.ts';
import { Errors, XPushError } from '../errors.ts';
import { verifyToken } from '../auth/tokens.ts';
import { requireLiveSession } from '../domain/auth.ts';
import { requireActiveUser } from '../domain/user-state.ts';

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

export function requireAdmin(req: FastifyRequest, adminToken: string): void {
  const t = bearer(req);
  if (!t || !safeEqual(t, adminToken)) throw Errors.unauthorized.with('admin token required (Authorization: Bearer <adminToken>)');
}

/**
 * The app named in the path, if `given` is its credential (`pick` says which: key or secret). An
 * unknown app answers exactly like a wrong credential, after the same constant-time comparison, so
 * the API does not tell which app ids exist.
 */
async function appWithCredential(core: Core, appId: string, given: unknown, pick: (a: AppRecord) => string, refusal: string): Promise<AppRecord> {
  const app = await core.apps.get(appId);
  const expected = app ? pick(app) : UNKNOWN_APP_CREDENTIAL;
  const ok = typeof given === 'string' && safeEqual(given, expected);
  if (!app || !ok) throw Errors.unauthorized.with(refusal);
  return app;
}

/** Compared against when the app does not exist (nobody can present it: it is never a real key). */
const UNKNOWN_APP_CREDENTIAL = 'no-such-app-' + 'x'.repeat(40);

/** Client endpoints (register/login/refresh): the app's public key. */
export function requireAppKey(core: Core, req: FastifyRequest, appId: string): Promise<AppRecord> {
  return appWithCredential(core, appId, req.headers['x-app-key'], (a) => a.key, 'X-App-Key header is missing or wrong for this app');
}

/** Server API: the app secret. */
export function requireApiKey(core: Core, req: FastifyRequest, appId: string): Promise<AppRecord> {
  return appWithCredential(core, appId, req.headers['x-api-key'], (a) => a.secret, 'X-API-Key header is missing or wrong for this app');
}

/**
 * A logged-in user's access token, which must belong to this app. A token from a login (`sid`) also
 * needs its device session live (logout works at once); a backend-minted token has no session.
 */
export async function requireUser(core: Core, req: FastifyRequest, appId: string): Promise<Actor & { session?: string }> {
  const t = bearer(req);
  if (!t) throw Errors.unauthorized.with('Authorization: Bearer <accessToken> required');
  const v = await verifyToken(core.apps, t).catch((err: unknown) => {
    throw err instanceof XPushError ? err : Errors.unauthorized;
  });
  if (v.app !== appId) throw Errors.unauthorized.with('token belongs to another app');
  // A session is revoked when its user is disabled or deleted; a token without one is checked directly.
  if (v.session !== undefined) await requireLiveSession(core, v.app, v.session, v.user, v.device);
  else await requireActiveUser(core, v.app, v.user);
  return { app: v.app, user: v.user, device: v.device, client: '', session: v.session };
}
