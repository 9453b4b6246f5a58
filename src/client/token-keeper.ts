import { UnauthorizedError } from 'centrifuge';
import type { Centrifuge } from 'centrifuge';
import { XPushError } from '../errors.ts';
import { tokenClaims, type SessionClient } from './session.ts';

/**
 * Hands centrifuge its connection tokens and renews them ahead of expiry.
 *
 * centrifuge renews on its own when the connect reply's `ttl` runs out, which is the very moment
 * the token expires: the new token then races the server closing the connection (3005). So the
 * keeper starts the renewal itself a margin before expiry (a quarter of the token's life, 1 s to
 * 60 s) through centrifuge's refresh routine; centrifuge's own timer stays as the fallback.
 */
export class TokenKeeper {
  /** Where tokens come from when the app's backend mints them (useToken with a getToken). */
  source: (() => Promise<string>) | null = null;
  /** The token centrifuge holds: a getToken call means it needs another one. */
  inClient = '';
  /** The connection whose token this keeps. */
  client: Centrifuge | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly session: SessionClient) {}

  /** centrifuge's getToken: called when its token was rejected as expired, or is about to expire. */
  async next(): Promise<string> {
    const t = this.session.tokens;
    if (!t) throw new UnauthorizedError('logged out');
    let token: string;
    if (this.source) {
      token = await this.source();
      const c = tokenClaims(token);
      this.session.tokens = { ...t, accessToken: token, expiresAt: (c.exp ?? 0) * 1000 };
    } else if (t.accessToken !== this.inClient && t.expiresAt > Date.now() + 1000) {
      token = t.accessToken; // renewed meanwhile (e.g. refresh() called by the app)
    } else {
      if (!t.refreshToken) throw new UnauthorizedError('token expired and no way to get another');
      try {
        token = (await this.session.refresh()).accessToken;
      } catch (err) {
        // A refused refresh token (logged out, revoked) ends the connection; network trouble retries.
        if (err instanceof XPushError && !err.temporary) throw new UnauthorizedError(err.message);
        throw err;
      }
    }
    this.inClient = token;
    this.schedule();
    return token;
  }

  /** Plans the next renewal of the live connection's token. */
  schedule(): void {
    this.cancel();
    const c = this.client;
    const t = this.session.tokens;
    if (!c || !t || !t.expiresAt || (!t.refreshToken && !this.source)) return;
    const left = t.expiresAt - Date.now();
    const margin = Math.min(60_000, Math.max(1000, left / 4));
    const refresh = (c as unknown as { _refresh?: () => void })._refresh;
    if (typeof refresh !== 'function') return; // another centrifuge version: its own timer renews
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (c.state !== 'connected') return;
      // Renews through centrifuge (getToken → this.next(), then the `refresh` command), which
      // re-plans here once the new token is in.
      refresh.call(c);
      // Half the time left at least: a token issued with a very short life must not renew in a loop.
    }, Math.min(Math.max(left - margin, left / 2, 0), 2_147_483_647));
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
