import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Store } from '../store/store.ts';
import type { Broker } from '../broker/broker.ts';
import type { PresenceManager } from '../presence/presence.ts';
import type { UserPresence } from '../presence/user-presence.ts';
import type { Hooks } from '../hooks.ts';
import type { AppCache } from '../auth/app-cache.ts';
import type { Publisher } from './publisher.ts';
import type { LivePublisher } from './live-publisher.ts';
import type { LiveStreams } from '../streams/live-streams.ts';
import type { ChannelCache } from './channel-cache.ts';
import type { RateLimiter } from '../limits/limiter.ts';
import type { BlobStore } from '../files/blob-store.ts';
import type { Metrics } from '../metrics.ts';
import type { PushService } from '../push/service.ts';

/**
 * What every XPUSH operation needs, shared by the session server (HTTP) and the channel server
 * (socket RPC): both call the same domain functions, so the rules live in one place.
 */
export interface Core {
  config: Config;
  log: Logger;
  store: Store;
  broker: Broker;
  presence: PresenceManager;
  /** Whether users are online anywhere, and their online/offline transitions. */
  userPresence: UserPresence;
  hooks: Hooks;
  apps: AppCache;
  channels: ChannelCache;
  publisher: Publisher;
  /** Publishing on ephemeral and cache channels (nothing stored). */
  livePublisher: LivePublisher;
  /** Offsets, epochs and caches of ephemeral and cache channels. */
  live: LiveStreams;
  /** Rate limits (login throttling; per-app budgets): cluster-wide with the redis broker. */
  limiter: RateLimiter;
  /** Prometheus series of this server (metrics.ts). */
  metrics: Metrics;
  nodeId: string;
  /** Bytes of files uploaded into channels (src/files/). */
  blobs: BlobStore;
  /** Push to offline devices (src/push/); absent where no server runs (CLI). */
  push?: PushService;
}
