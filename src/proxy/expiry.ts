import type { Core } from '../domain/context.ts';
import type { Conn, Sub } from '../channel/conn.ts';
import type { Proxies } from './proxies.ts';
import { Disconnect, Disconnects } from '../disconnect.ts';
import { unsubscribeByServer } from '../channel/commands/subscribe.ts';

/** After a failed refresh call, the next try waits this long (the connection lives on meanwhile). */
const RETRY_MS = 5000;
const TICK_MS = 250;

interface ConnEntry { c: Conn; expiresAt: number; retryAt: number; busy: boolean }
interface SubEntry { c: Conn; channel: string; sub: Sub; expiresAt: number; retryAt: number; busy: boolean }

/**
 * Server-side refresh of what a proxy granted with an `expire_at` (Centrifugo's model: the client
 * holds no token to refresh, so the server asks the backend). One timer for all entries, as the
 * gateway's sweep does for connections.
 *
 * - A connection at its expiry: the refresh proxy extends it (new `expire_at`) or ends it with 3005
 *   (the SDK reconnects and the connect proxy decides again). Without a refresh proxy it ends at
 *   once. A failing refresh proxy is retried every 5 s; the gateway ends the connection with 3005
 *   once tokenExpiryGraceMs has passed since the expiry.
 * - A subscription at its expiry: the sub_refresh proxy extends it, or the server unsubscribes it
 *   with 2501 "subscription expired" (the SDK resubscribes, asking the subscribe proxy again).
 */
export class ExpiryWatch {
  private readonly conns = new Map<Conn, ConnEntry>();
  private readonly subs = new Map<string, SubEntry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly core: Core, private readonly proxies: Proxies) {}

  /** `expireAt`: unix seconds (0 = never: nothing to watch). */
  connection(c: Conn, expireAt: number): void {
    if (!expireAt) return;
    this.conns.set(c, { c, expiresAt: expireAt * 1000, retryAt: 0, busy: false });
    this.arm();
  }

  /** Watches the live subscription `channel` of `c` (whatever `c.subs` holds for it now). */
  subscription(c: Conn, channel: string, expireAt: number): void {
    const sub = c.subs.get(channel);
    if (!expireAt || !sub) return;
    this.subs.set(`${c.id}\0${channel}`, { c, channel, sub, expiresAt: expireAt * 1000, retryAt: 0, busy: false });
    this.arm();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.conns.clear();
    this.subs.clear();
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    for (const e of this.conns.values()) {
      if (e.c.closed) this.conns.delete(e.c);
      else if (!e.busy && now >= e.expiresAt && now >= e.retryAt) void this.refreshConn(e);
    }
    for (const [k, e] of this.subs) {
      if (e.c.closed || e.c.subs.get(e.channel) !== e.sub) this.subs.delete(k);
      else if (!e.busy && now >= e.expiresAt && now >= e.retryAt) void this.refreshSub(k, e);
    }
    if (this.conns.size === 0 && this.subs.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async refreshConn(e: ConnEntry): Promise<void> {
    e.busy = true;
    try {
      const r = await this.proxies.refresh(e.c);
      if (r === 'expired' || r === 'no-proxy') {
        this.conns.delete(e.c);
        e.c.close(Disconnects.connectionExpired);
      } else if (r.expireAt === 0) {
        this.conns.delete(e.c);
        e.c.extend(0);
      } else {
        e.expiresAt = r.expireAt * 1000;
        e.c.extend(e.expiresAt);
      }
    } catch (err) {
      if (err instanceof Disconnect) {
        this.conns.delete(e.c);
        e.c.close(err);
      } else {
        e.retryAt = Date.now() + RETRY_MS;
        this.core.log.warn({ err, client: e.c.id }, 'refresh proxy failed; retrying');
      }
    } finally {
      e.busy = false;
    }
  }

  private async refreshSub(k: string, e: SubEntry): Promise<void> {
    e.busy = true;
    try {
      const r = await this.proxies.subRefresh(e.c, e.channel);
      if (e.c.closed || e.c.subs.get(e.channel) !== e.sub) return;
      if (r === 'expired' || r === 'no-proxy') {
        this.subs.delete(k);
        unsubscribeByServer(e.c, e.channel, 2501, 'subscription expired');
      } else if (r.expireAt === 0) this.subs.delete(k);
      else e.expiresAt = r.expireAt * 1000;
    } catch (err) {
      if (err instanceof Disconnect) {
        this.subs.delete(k);
        e.c.close(err);
      } else {
        // As for connections: a backend that stays unreachable past the grace ends the subscription.
        if (Date.now() >= e.expiresAt + this.core.config.tokenExpiryGraceMs) {
          this.subs.delete(k);
          if (!e.c.closed && e.c.subs.get(e.channel) === e.sub) unsubscribeByServer(e.c, e.channel, 2501, 'subscription expired');
          return;
        }
        e.retryAt = Date.now() + RETRY_MS;
        this.core.log.warn({ err, client: e.c.id, channel: e.channel }, 'sub_refresh proxy failed; retrying');
      }
    } finally {
      e.busy = false;
    }
  }
}
