/**
 * Presence: who is online in a channel, cluster-wide. Keyed by (appId, channel, clientId); one user
 * may be present through several clients (devices).
 *
 * Contract:
 * - `add` is an upsert and refreshes the entry's TTL; `remove` of a missing entry is a no-op.
 * - Entries of a node that stops calling `touch` disappear after `ttlMs` (a dead node's clients leave);
 *   `expired()` returns (and removes) the entries that lapsed since the last call, so exactly one
 *   node can announce their leave events.
 * - `get` returns only live entries.
 */
export interface PresenceInfo {
  user: string;
  client: string;
  device: string;
  /** Public connection info (JWT `info` claim). */
  info?: unknown;
}

export interface PresenceEntry extends PresenceInfo {
  appId: string;
  channel: string;
}

export interface PresenceManager {
  readonly kind: 'memory' | 'redis';
  add(appId: string, channel: string, entry: PresenceInfo): Promise<void>;
  remove(appId: string, channel: string, clientId: string): Promise<void>;
  get(appId: string, channel: string): Promise<Record<string, PresenceInfo>>;
  stats(appId: string, channel: string): Promise<{ numClients: number; numUsers: number }>;
  /** Refreshes the TTL of every entry this node holds (called on a heartbeat). */
  touch(entries: PresenceEntry[]): Promise<void>;
  /** Entries whose TTL lapsed (removed as they are returned). */
  expired(): Promise<PresenceEntry[]>;
  close(): Promise<void>;
}
