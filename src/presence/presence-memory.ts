import type { PresenceEntry, PresenceInfo, PresenceManager } from './presence.ts';

interface Lingering {
  appId: string;
  channel: string;
  info: PresenceInfo;
  until: number;
}

/**
 * Presence for a single process: see PresenceManager for the contract. Entries live exactly as long
 * as the process that holds their connections, so there is no TTL: `touch` has nothing to refresh,
 * and only lingering entries (closed connections kept for the presence delay) ever expire.
 */
export class MemoryPresence implements PresenceManager {
  readonly kind = 'memory' as const;
  /** (appId, channel) → clientId → info. */
  private readonly channels = new Map<string, Map<string, PresenceInfo>>();
  /** (appId, channel) → clientId → lingering entry (also listed in `channels` until it lapses). */
  private readonly lingering = new Map<string, Map<string, Lingering>>();

  constructor(private readonly now: () => number = Date.now) {}

  async add(appId: string, channel: string, entry: PresenceInfo): Promise<void> {
    const k = key(appId, channel);
    let clients = this.channels.get(k);
    if (!clients) this.channels.set(k, (clients = new Map()));
    clients.set(entry.client, copy(entry));
    this.unlinger(k, entry.client);
  }

  async remove(appId: string, channel: string, clientId: string): Promise<void> {
    const k = key(appId, channel);
    this.unlinger(k, clientId);
    const clients = this.channels.get(k);
    if (!clients) return;
    clients.delete(clientId);
    if (clients.size === 0) this.channels.delete(k);
  }

  async get(appId: string, channel: string): Promise<Record<string, PresenceInfo>> {
    const out: Record<string, PresenceInfo> = {};
    for (const [id, info] of this.channels.get(key(appId, channel)) ?? []) out[id] = copy(info);
    return out;
  }

  async count(appId: string, channel: string): Promise<number> {
    const k = key(appId, channel);
    return (this.channels.get(k)?.size ?? 0) - (this.lingering.get(k)?.size ?? 0);
  }

  async stats(appId: string, channel: string): Promise<{ numClients: number; numUsers: number }> {
    const clients = this.channels.get(key(appId, channel));
    if (!clients) return { numClients: 0, numUsers: 0 };
    const users = new Set<string>();
    for (const info of clients.values()) users.add(info.user);
    return { numClients: clients.size, numUsers: users.size };
  }

  async linger(appId: string, channel: string, clientId: string, ms: number): Promise<void> {
    const k = key(appId, channel);
    const info = this.channels.get(k)?.get(clientId);
    if (!info) return;
    let m = this.lingering.get(k);
    if (!m) this.lingering.set(k, (m = new Map()));
    m.set(clientId, { appId, channel, info, until: this.now() + ms });
  }

  async enter(appId: string, channel: string, entry: PresenceInfo): Promise<string | undefined> {
    const k = key(appId, channel);
    const now = this.now();
    let took: string | undefined;
    for (const [id, l] of this.lingering.get(k) ?? []) {
      if (l.until > now && l.info.user === entry.user && l.info.device === entry.device) {
        took = id;
        break;
      }
    }
    if (took !== undefined) await this.remove(appId, channel, took);
    await this.add(appId, channel, entry);
    return took;
  }

  async touch(_entries: PresenceEntry[]): Promise<void> {}

  /** Lingering entries whose time is up, removed as they are returned. */
  async expired(): Promise<PresenceEntry[]> {
    const now = this.now();
    const out: PresenceEntry[] = [];
    for (const [k, m] of [...this.lingering]) {
      for (const [id, l] of [...m]) {
        if (l.until > now) continue;
        out.push({ appId: l.appId, channel: l.channel, ...copy(l.info) });
        await this.remove(l.appId, l.channel, id);
      }
      if (m.size === 0) this.lingering.delete(k);
    }
    return out;
  }

  async close(): Promise<void> {
    this.channels.clear();
    this.lingering.clear();
  }

  private unlinger(k: string, clientId: string): void {
    const m = this.lingering.get(k);
    if (!m?.delete(clientId)) return;
    if (m.size === 0) this.lingering.delete(k);
  }
}

/** Length-prefixed so that no two (appId, channel) pairs share a key, whatever characters they hold. */
function key(appId: string, channel: string): string {
  return `${appId.length}:${appId}${channel}`;
}

/** Callers must not be able to mutate stored entries through the objects they passed or got back. */
function copy(e: PresenceInfo): PresenceInfo {
  const out: PresenceInfo = { user: e.user, client: e.client, device: e.device };
  if (e.info !== undefined) out.info = e.info;
  return out;
}
