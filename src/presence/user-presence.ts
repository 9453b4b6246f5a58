/**
 * User presence: whether a user has a live connection anywhere in the cluster (any device, any
 * node), and the online/offline transitions that webhooks and push delivery act on.
 *
 * Contract:
 * - `connected`/`disconnected` are called by the node holding the connection (idempotent per client).
 * - `online(app, users)` answers from live connections only, right now.
 * - Events: `online` fires when a user's first connection appears while the user is offline;
 *   `offline` fires once the user's last connection is gone AND stayed gone for `delayMs` (a device
 *   that drops and comes back within the delay produces neither event). Each transition fires
 *   exactly once in the whole cluster, on one node.
 * - Connections of a node that died stop counting once the implementation notices (TTL), and lead
 *   to `offline` as if they had been closed.
 */
export interface UserPresenceEvents {
  online(app: string, user: string): void;
  offline(app: string, user: string): void;
}

export interface UserPresence {
  readonly kind: 'memory' | 'redis';
  start(events: UserPresenceEvents): Promise<void>;
  connected(app: string, user: string, client: string): Promise<void>;
  disconnected(app: string, user: string, client: string): Promise<void>;
  /** Those of `users` with at least one live connection anywhere now. */
  online(app: string, users: string[]): Promise<Set<string>>;
  close(): Promise<void>;
}
