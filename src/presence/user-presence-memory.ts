import type { UserPresence, UserPresenceEvents } from './user-presence.ts';

/** User presence for a single process: see UserPresence for the contract. */
export class MemoryUserPresence implements UserPresence {
  readonly kind = 'memory' as const;
  private events: UserPresenceEvents | undefined;
  /** (app, user) → live client ids. */
  private readonly clients = new Map<string, Set<string>>();
  /** Users announced online (until their offline fires). */
  private readonly announced = new Set<string>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly delayMs: number) {}

  async start(events: UserPresenceEvents): Promise<void> {
    this.events = events;
  }

  async connected(app: string, user: string, client: string): Promise<void> {
    const k = key(app, user);
    let set = this.clients.get(k);
    if (!set) this.clients.set(k, (set = new Set()));
    set.add(client);
    const timer = this.pending.get(k);
    if (timer) {
      clearTimeout(timer); // back within the delay: no offline, no online
      this.pending.delete(k);
    }
    if (!this.announced.has(k)) {
      this.announced.add(k);
      this.events?.online(app, user);
    }
  }

  async disconnected(app: string, user: string, client: string): Promise<void> {
    const k = key(app, user);
    const set = this.clients.get(k);
    if (!set?.delete(client) || set.size > 0) return;
    this.clients.delete(k);
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

  async close(): Promise<void> {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.events = undefined;
  }
}

function key(app: string, user: string): string {
  return `${app}\0${user}`;
}
