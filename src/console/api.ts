/**
 * The console's only way to the server: the documented HTTP API on this origin, with the credential
 * the operator logged in with. Errors come back as `{error: {code, message}}` and become ApiError.
 */
export type Login = { kind: 'admin'; token: string } | { kind: 'app'; app: string; secret: string };

/** The app the per-app pages work on: its id and the secret they authenticate with. */
export interface CurrentApp {
  id: string;
  name?: string;
  secret: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: number, message: string) {
    super(message);
  }
}

async function request(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<any> {
  const res = await fetch(path, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const e = parsed?.error;
    throw new ApiError(res.status, typeof e?.code === 'number' ? e.code : res.status, typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`);
  }
  return parsed;
}

/** Admin endpoints (`Authorization: Bearer <admin token>`). */
export function adminApi(token: string, method: string, path: string, body?: unknown): Promise<any> {
  return request(method, path, { authorization: `Bearer ${token}` }, body);
}

/** Server API of one app (`X-API-Key: <secret>`); `path` is relative to /v1/apps/:app. */
export function appApi(app: CurrentApp, method: string, path: string, body?: unknown): Promise<any> {
  return request(method, `/v1/apps/${encodeURIComponent(app.id)}${path}`, { 'x-api-key': app.secret }, body);
}

/** Public endpoints (node assignment, metrics as text). */
export async function publicText(path: string): Promise<string> {
  const res = await fetch(path);
  if (!res.ok) throw new ApiError(res.status, res.status, `HTTP ${res.status} for ${path}`);
  return res.text();
}

export function publicApi(path: string): Promise<any> {
  return request('GET', path, {});
}

export const enc = encodeURIComponent;

/** The login lives in sessionStorage: gone when the tab closes, never in a URL or a cookie. */
const KEY = 'xpush-console';

export interface Saved {
  login: Login;
  app?: CurrentApp;
}

export function loadSaved(): Saved | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Saved | null;
    return s && (s.login?.kind === 'admin' || s.login?.kind === 'app') ? s : undefined;
  } catch {
    return undefined;
  }
}

export function save(s: Saved | undefined): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}
