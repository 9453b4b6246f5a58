import type { PresenceEntry, PresenceInfo, PresenceManager } from './presence.ts';

/**
 * Presence for a single process: see PresenceManager for the contract. Entries live exactly as long
 * as the process that holds their connections, so there is no TTL: `touch` has nothing to refresh
 * and nothing ever expires.
 */
export class MemoryPresence implements PresenceManager {
  readonly kind = 'memory' as const;
  /** (appId, channel) → clientId → info. */
  private readonly channels = new Map<string, Map<string, PresenceInfo>>();

  async add(appId: string, channel: string, entry: PresenceInfo): Promise<void> {
    const k = key(appId, channel);
    let clients = this.channels.get(k);
    if (!clients) this.channels.set(k, (clients = new Map()));
    clients.set(entry.client, copy(entry));
  }

  async remove(appId: string, channel: string, clientId: string): Promise<void> {
    const k = key(appId, channel);
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

  async stats(appId: string, channel: string): Promise<{ numClients: number; numUsers: number }> {
    const clients = this.channels.get(key(appId, channel));
    if (!clients) return { numClients: 0, numUsers: 0 };
    const users = new Set<string>();
    for (const info of clients.values()) users.add(info.user);
    return { numClients: clients.size, numUsers: users.size };
  }

  async touch(_entries: PresenceEntry[]): Promise<void> {}

  async expired(): Promise<PresenceEntry[]> {
    return [];
  }

  async close(): Promise<void> {
    this.channels.clear();
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
