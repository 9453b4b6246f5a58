import { Redis } from 'ioredis';

/** How long one command may wait for Redis before it is refused (a hung link must not hold callers). */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
/** How long a connection attempt may take. */
export const REDIS_CONNECT_TIMEOUT_MS = 3000;

export interface RedisConnectionOptions {
  /** Do not connect until `connect()` is called (the broker decides when). Default false. */
  lazy?: boolean;
  /**
   * Queue commands while disconnected. Default false: a command fails at once while Redis is away, so
   * callers answer 503 instead of hanging, and nothing is re-sent after a reconnect (no duplicates).
   */
  offlineQueue?: boolean;
  /** Re-sends of one command after a reconnect. Default 0. */
  maxRetriesPerRequest?: number;
  /** Let ioredis re-subscribe after a reconnect (the broker does it itself). Default true. */
  autoResubscribe?: boolean;
}

/**
 * Every Redis connection XPUSH opens (broker, presence, node registry, rate limiter) comes from here,
 * so they share one failure behaviour: reconnect forever backing off to 1 s (the node heals by itself
 * when Redis is back), commands time out after 2 s, and errors surface as rejected commands (the
 * listener below keeps ioredis from printing them).
 */
export function redisConnection(url: string, opts: RedisConnectionOptions = {}): Redis {
  const r = new Redis(url, {
    lazyConnect: opts.lazy ?? false,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    enableOfflineQueue: opts.offlineQueue ?? false,
    maxRetriesPerRequest: opts.maxRetriesPerRequest ?? 0,
    autoResubscribe: opts.autoResubscribe ?? true,
    // ioredis arms this timer even on an already-dead socket, delaying process exit by its length.
    disconnectTimeout: 200,
  });
  r.on('error', () => undefined);
  return r;
}

/** Graceful QUIT when connected, then stop reconnecting in any case. */
export async function closeRedis(r: Redis): Promise<void> {
  if (r.status === 'ready') await r.quit().catch(() => undefined);
  r.disconnect();
}
