/**
 * The position and the cache of channels whose publications are not stored (ephemeral and cache
 * channels, docs/channels.md): offsets that order their publications, an epoch, and for cache
 * channels the newest publications for late joiners. Memory for one node, Redis for a cluster.
 *
 * Contract:
 * - `allocate` hands out consecutive offsets (1, 2, 3…) per (app, channel), atomically across the
 *   cluster; the epoch is made on first use and stays until the channel is dropped (or Redis is
 *   flushed / the process restarts: live positions are not durable — a new epoch says so).
 * - `keep` stores publications (by offset) and keeps only the newest `limit`; `recent` returns them
 *   oldest first with the current top offset and epoch. Publications arrive here in any order.
 * - Rejects on I/O failure (the caller answers 503).
 */
export interface LiveStreams {
  readonly kind: 'memory' | 'redis';
  allocate(app: string, channel: string, count: number): Promise<{ first: number; epoch: string }>;
  keep(app: string, channel: string, items: { offset: number; publication: string }[], limit: number): Promise<void>;
  recent(app: string, channel: string): Promise<{ publications: string[]; top: number; epoch: string }>;
  drop(app: string, channel: string): Promise<void>;
  close(): Promise<void>;
}
