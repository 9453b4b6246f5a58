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
 * - Presence without flapping: `linger` keeps a closed connection's entry listed for a while; a new
 *   connection of the same user and device that `enter`s the channel meanwhile takes it over (no
 *   leave/join pair to announce); otherwise it lapses and `expired()` returns it like a dead node's.
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
  /**
   * Entries of connections still open (lingering ones not counted: a device coming back takes its
   * own over), without reading them. What the presence size limit compares against.
   */
  count(appId: string, channel: string): Promise<number>;
  /**
   * The connection of `clientId` is gone: keep its entry (still listed) for `ms`, then let it lapse so
   * that `expired()` hands it out and its leave is announced once. No-op for a missing entry.
   */
  linger(appId: string, channel: string, clientId: string, ms: number): Promise<void>;
  /**
   * `add` for a new subscription. If a lingering entry of the same user and device is in the channel
   * and has not lapsed, it is removed in the same atomic step and its client id returned: the device
   * is back within the delay, so neither its leave nor this join is announced. Otherwise undefined.
   */
  enter(appId: string, channel: string, entry: PresenceInfo): Promise<string | undefined>;
  stats(appId: string, channel: string): Promise<{ numClients: number; numUsers: number }>;
  /** Refreshes the TTL of every entry this node holds (called on a heartbeat). */
  touch(entries: PresenceEntry[]): Promise<void>;
  /** Entries whose TTL lapsed (removed as they are returned). */
  expired(): Promise<PresenceEntry[]>;
  close(): Promise<void>;
}
