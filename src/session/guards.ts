import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Core } from '../domain/context.ts';
import type { AppRecord } from '../store/store.ts';
import type { Actor } from '../hooks.ts';
import { Errors, XPushError } from '../errors.ts';
import { verifyToken } from '../auth/tokens.ts';
import { requireLiveSession } from '../domain/auth.ts';

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

async function loadApp(core: Core, appId: string): Promise<AppRecord> {
  const app = await core.apps.get(appId);
  if (!app) throw Errors.notFound.with(`app "${appId}" does not exist`);
  return app;
}

/** Client endpoints (register/login/refresh): the app's public key. */
export async function requireAppKey(core: Core, req: FastifyRequest, appId: string): Promise<AppRecord> {
  const app = await loadApp(core, appId);
  const key = req.headers['x-app-key'];
  if (typeof key !== 'string' || !safeEqual(key, app.key)) throw Errors.unauthorized.with('X-App-Key header is missing or wrong for this app');
  return app;
}

/** Server API: the app secret. */
export async function requireApiKey(core: Core, req: FastifyRequest, appId: string): Promise<AppRecord> {
  const app = await loadApp(core, appId);
  const key = req.headers['x-api-key'];
  if (typeof key !== 'string' || !safeEqual(key, app.secret)) throw Errors.unauthorized.with('X-API-Key header is missing or wrong for this app');
  return app;
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
  if (v.session !== undefined) await requireLiveSession(core, v.app, v.session, v.user, v.device);
  return { app: v.app, user: v.user, device: v.device, client: '', session: v.session };
}
