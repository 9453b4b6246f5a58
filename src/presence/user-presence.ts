/**
 * User presence: whether a user has a live connection anywhere in the cluster (any device, any
 * node), the online/offline transitions that webhooks and push delivery act on, and the
 * connection counts behind the per-user and per-app connection limits.
 *
 * Contract (test/contract/user-presence.contract.ts runs it against every implementation):
 * - `connected`/`disconnected` are called by the node holding the connection (idempotent per client).
 * - `connected` with limits admits the connection only while the user has fewer than `perUser` and
 *   the app fewer than `perApp` live connections (checked and registered in one atomic step, so
 *   concurrent connects cannot overshoot); a refused connection is not registered. A client already
 *   registered is admitted again without counting twice.
 * - `online(app, users)` answers from live connections only, right now.
 * - Events: `online` fires when a user's first connection appears while the user is offline;
 *   `offline` fires once the user's last connection is gone AND stayed gone for `delayMs` (a device
 *   that drops and comes back within the delay produces neither event). Each transition fires
 *   exactly once in the whole cluster, on one node.
 * - Connections of a node that died (it stopped calling `touch`) stop counting after the TTL and
 *   lead to `offline` as if they had been closed then; `sweep` (called on every node's heartbeat)
 *   is what notices them, and fires the offline transitions that are due.
 */
export interface UserPresenceEvents {
  online(app: string, user: string): void;
  offline(app: string, user: string): void;
}

/** Connection caps checked by `connected`; 0 or absent means no cap. */
export interface ConnectionLimits {
  perUser?: number;
  perApp?: number;
}

export type Admission =
  | { admitted: true }
  | { admitted: false; limit: 'user' | 'app'; max: number };

/** One live connection, as a node reports it on its heartbeat. */
export interface UserConnection {
  app: string;
  user: string;
  client: string;
}

export interface UserPresence {
  readonly kind: 'memory' | 'redis';
  start(events: UserPresenceEvents): Promise<void>;
  connected(app: string, user: string, client: string, limits?: ConnectionLimits): Promise<Admission>;
  disconnected(app: string, user: string, client: string): Promise<void>;
  /** Those of `users` with at least one live connection anywhere now. */
  online(app: string, users: string[]): Promise<Set<string>>;
  /** Heartbeat: every live connection of this node (renews their TTL; nothing to do in one process). */
  touch(connections: UserConnection[]): Promise<void>;
  /** Claims lapsed connections of dead nodes and fires the offline transitions that are due. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}
