/**
 * Broker: carries events between the nodes that hold connections (cross-node delivery). The memory
 * broker serves one process; the Redis broker a cluster. The broker never imports the hub: it calls
 * back into the core through the `BrokerHandler` given to `start`.
 *
 * Contract:
 * - Topics are opaque strings built by the core (`protocol/events.ts`). A node receives events of a topic only
 *   between `subscribe(topic)` and `unsubscribe(topic)`; subscribe/unsubscribe are reference-free
 *   (the core counts local interest and calls them once per topic).
 * - `publish` resolves once the event was handed to the transport (Redis accepted it), and rejects
 *   with `Errors.unavailable` when it cannot be — never a silent drop. The publisher itself also
 *   receives its own events if subscribed.
 * - Events from one publisher on one topic arrive in publish order. Events of different publishers
 *   may interleave; publications carry offsets so the hub can restore order and fill gaps.
 * - Payloads are strings (already-encoded JSON): encode once on the publishing node.
 */
export interface BrokerHandler {
  onEvent(topic: string, payload: string): void;
  /** The transport was lost (true) or is back (false): the hub re-syncs subscriptions on recovery. */
  onConnectionState?(lost: boolean): void;
}

export interface Broker {
  readonly kind: 'memory' | 'redis';
  start(handler: BrokerHandler): Promise<void>;
  subscribe(topic: string): Promise<void>;
  unsubscribe(topic: string): Promise<void>;
  publish(topic: string, payload: string): Promise<void>;
  /**
   * False only when the broker knows that no node receives the topic's events (the in-process broker:
   * nobody here subscribed), so the publisher can skip encoding an event nobody would get; true when
   * it cannot know (Redis: other nodes may listen).
   */
  listened(topic: string): boolean;
  /** Resolves when the transport is connected and answers (readiness checks); rejects with `Errors.unavailable` when not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
