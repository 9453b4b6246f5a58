import { MultiMap } from '../multimap.ts';
import type { Admission, ConnectionLimits, UserConnection, UserPresence, UserPresenceEvents } from './user-presence.ts';

/** User presence for a single process: see UserPresence for the contract. */
export class MemoryUserPresence implements UserPresence {
  readonly kind = 'memory' as const;
  private events: UserPresenceEvents | undefined;
  /** (app, user) → live client ids (a lone one held without a Set). */
  private readonly clients = new MultiMap<string, string>();
  /** app → live client ids (the per-app connection count). */
  private readonly apps = new Map<string, Set<string>>();
  /** Users announced online (until their offline fires). */
  private readonly announced = new Set<string>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly delayMs: number) {}

  async start(events: UserPresenceEvents): Promise<void> {
    this.events = events;
  }

  async connected(app: string, user: string, client: string, limits: ConnectionLimits = {}): Promise<Admission> {
    const k = key(app, user);
    const all = this.apps.get(app);
    if (!this.clients.hasMember(k, client)) {
      const perUser = limits.perUser ?? 0;
      const perApp = limits.perApp ?? 0;
      if (perUser > 0 && this.clients.count(k) >= perUser) return { admitted: false, limit: 'user', max: perUser };
      if (perApp > 0 && (all?.size ?? 0) >= perApp) return { admitted: false, limit: 'app', max: perApp };
    }
    this.clients.add(k, client);
    add(this.apps, app, client);
    const timer = this.pending.get(k);
    if (timer) {
      clearTimeout(timer); // back within the delay: no offline, no online
      this.pending.delete(k);
    }
    if (!this.announced.has(k)) {
      this.announced.add(k);
      this.events?.online(app, user);
    }
    return { admitted: true };
  }

  async disconnected(app: string, user: string, client: string): Promise<void> {
    const k = key(app, user);
    drop(this.apps, app, client);
    if (!this.clients.delete(k, client)) return;
    if (this.pending.has(k) || !this.announced.has(k)) return;
    const timer = setTimeout(() => {
      this.pending.delete(k);
      if (this.clients.has(k)) return;
      this.announced.delete(k);
      this.events?.offline(app, user);
    }, this.delayMs);
    timer.unref();
    this.pending.set(k, timer);
  }

  async online(app: string, users: string[]): Promise<Set<string>> {
    return new Set(users.filter((u) => this.clients.has(key(app, u))));
  }

  /** One process: its connections cannot outlive it, so there is nothing to renew or to claim. */
  async touch(_connections: UserConnection[]): Promise<void> {}

  async sweep(): Promise<void> {}

  async close(): Promise<void> {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.events = undefined;
  }
}

function key(app: string, user: string): string {
  return `${app}\0${user}`;
}

function add(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function drop(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (s?.delete(v) && s.size === 0) m.delete(k);
}
