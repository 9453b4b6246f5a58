import { XPushError } from '../errors.ts';
import type { LoginResult } from '../protocol/types.generated.ts';
import type { DeviceInfo, Tokens, UserEntry } from './types.ts';

/** How long a node lookup may take before the SDK falls back to the session server's origin. */
const NODE_LOOKUP_TIMEOUT_MS = 3000;

/** The login/refresh answer (docs/http-api.md): the server's own type, erased from the bundle. */
type AuthReply = LoginResult;

/**
 * The session server's HTTP API (docs/http-api.md) as seen by one client, and the tokens it
 * holds. Refreshes are coalesced: refresh tokens rotate, so two refreshes racing with the same
 * refresh token would make the second one fail and log the user out.
 */
export class SessionClient {
  tokens: Tokens | null = null;
  #refreshing: Promise<Tokens> | null = null;
  readonly #base: string;
  readonly #app: string;
  readonly #appKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #onTokens: (t: Tokens) => void;

  constructor(o: { url: string; app: string; appKey?: string; fetch?: typeof fetch; onTokens: (t: Tokens) => void }) {
    this.#base = o.url.replace(/\/+$/, '');
    this.#app = o.app;
    this.#appKey = o.appKey;
    const f = o.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new TypeError('XPush: no fetch available; pass options.fetch');
    this.#fetch = f.bind(globalThis);
    this.#onTokens = o.onTokens;
  }

  get appPath(): string {
    return `/v1/apps/${encodeURIComponent(this.#app)}`;
  }

  async register(user: string, password: string, profile?: unknown): Promise<UserEntry> {
    return this.request('POST', `${this.appPath}/users`, { user, password, ...(profile !== undefined ? { profile } : {}) }, this.#keyHeader());
  }

  async login(user: string, password: string, device: string, pushToken?: string): Promise<Tokens> {
    const body = { user, password, device, ...(pushToken !== undefined ? { pushToken } : {}) };
    const r = await this.request<AuthReply>('POST', `${this.appPath}/auth/login`, body, this.#keyHeader());
    return this.#store(r);
  }

  refresh(): Promise<Tokens> {
    if (!this.#refreshing) {
      this.#refreshing = this.#doRefresh().finally(() => { this.#refreshing = null; });
    }
    return this.#refreshing;
  }

  async #doRefresh(): Promise<Tokens> {
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) throw new XPushError(101, 'no refresh token: call login() first');
    const r = await this.request<AuthReply>('POST', `${this.appPath}/auth/refresh`, { refreshToken }, this.#keyHeader());
    return this.#store(r);
  }

  /** Ends this device's session on the server; the tokens are dropped even if the server is unreachable. */
  async logout(): Promise<void> {
    const access = this.tokens?.accessToken;
    this.tokens = null;
    if (access) await this.request('POST', `${this.appPath}/auth/logout`, {}, { authorization: `Bearer ${access}` });
  }

  async devices(): Promise<DeviceInfo[]> {
    const r = await this.request<{ devices: DeviceInfo[] }>('GET', `${this.appPath}/me/devices`, undefined, this.#bearer());
    return r.devices;
  }

  /** Logs out one of the user's devices by its session id (from `devices()`). */
  async revokeDevice(session: string): Promise<void> {
    await this.request('DELETE', `${this.appPath}/me/devices/${encodeURIComponent(session)}`, undefined, this.#bearer());
  }

  /** Changes the password; the server logs out the user's other devices and answers how many. */
  async changePassword(oldPassword: string, newPassword: string): Promise<number> {
    const r = await this.request<{ revokedSessions: number }>('POST', `${this.appPath}/me/password`, { oldPassword, newPassword }, this.#bearer());
    return r.revokedSessions;
  }

  /**
   * The channel server URL for this user. Any failure of the lookup (server down, old server, no
   * user yet) falls back to the session server itself, which is a channel server in a one-node setup.
   */
  async nodeUrl(): Promise<string> {
    const user = this.tokens?.user;
    if (user) {
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), NODE_LOOKUP_TIMEOUT_MS);
      try {
        const path = `/node/${encodeURIComponent(this.#app)}/user/${encodeURIComponent(user)}`;
        const res = await this.#fetch(this.#base + path, { signal: ctrl.signal });
        if (res.ok) {
          const body = await res.json() as { node?: { url?: unknown } };
          if (typeof body?.node?.url === 'string' && body.node.url) return toWsUrl(body.node.url);
        }
      } catch { /* fall through to the session server's own origin */ } finally {
        clearTimeout(timer);
      }
    }
    // The session server itself (a channel server in a one-node setup), under its path prefix if any.
    return toWsUrl(this.#base.replace(/\/+$/, '') + '/connection/websocket');
  }

  /** JSON request; an error answer `{error: {code, message}}` rejects with an XPushError of that code. */
  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.#fetch(this.#base + path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return parseAnswer<T>(res.status, await res.text());
  }

  /** The session server's base URL, without a trailing slash. */
  get baseUrl(): string {
    return this.#base;
  }

  /** A request with any body (file uploads); the caller reads the answer. */
  fetchRaw(path: string, init: RequestInit): Promise<Response> {
    return this.#fetch(this.#base + path, init);
  }

  #keyHeader(): Record<string, string> {
    if (!this.#appKey) throw new TypeError('XPush: options.appKey is required for register, login and refresh');
    return { 'x-app-key': this.#appKey };
  }

  #bearer(): Record<string, string> {
    if (!this.tokens) throw new XPushError(101, 'not logged in');
    return { authorization: `Bearer ${this.tokens.accessToken}` };
  }

  #store(r: AuthReply): Tokens {
    this.tokens = {
      accessToken: r.accessToken, refreshToken: r.refreshToken, expiresAt: Date.now() + r.expiresIn * 1000,
      user: r.user, device: r.device, session: r.session,
    };
    this.#onTokens(this.tokens);
    return this.tokens;
  }
}

/** An HTTP answer's JSON body, or an XPushError of its `{error: {code, message}}` (the status's code if none). */
export function parseAnswer<T>(status: number, text: string): T {
  let parsed: any;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  if (status < 200 || status > 299) {
    const err = parsed?.error;
    const code = typeof err?.code === 'number' ? err.code : status;
    const message = typeof err?.message === 'string' ? err.message : `HTTP ${status}`;
    throw new XPushError(code, message, { status, temporary: status >= 500 || status === 429 });
  }
  return parsed as T;
}

/** `http://h:p` → `ws://h:p/connection/websocket`; a ws(s) URL with a path is taken as is. */
export function toWsUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/connection/websocket';
  return u.toString();
}

/** Reads the claims of a JWT without verifying it (the server verifies); used for tokens minted elsewhere. */
export function tokenClaims(token: string): { sub?: string; device?: string; exp?: number; sid?: string } {
  const part = token.split('.')[1];
  if (!part) throw new XPushError(101, 'malformed token');
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new XPushError(101, 'malformed token');
  }
}
