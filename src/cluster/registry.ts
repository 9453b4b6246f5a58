import type { Redis } from 'ioredis';
import { closeRedis, redisConnection } from '../broker/redis-connection.ts';
import type { Role } from '../config.ts';
import { Errors } from '../errors.ts';

export interface NodeSelf {
  id: string;
  /** URL clients use to reach this node's WebSocket. */
  url: string;
  role: Role;
}

export interface NodeInfo extends NodeSelf {
  connections: number;
  /** Time of the node's last heartbeat, ms since the epoch (the node's clock). */
  updatedAt: number;
}

export interface NodeRegistryOptions {
  /** How often a started node rewrites its record. Default 1000. */
  heartbeatMs?: number;
  /** A node that stops heartbeating disappears after this long. Shorter = dead nodes leave sooner, but a GC pause or Redis blip of this length drops a live node. Default 5000. */
  ttlMs?: number;
  /** How often onChange listeners poll the membership. Default 500 (changes are seen within ~1 s). */
  watchMs?: number;
  /** Called with heartbeat and watch failures (they retry on the next tick). */
  onError?: (err: Error) => void;
}

/** Returns the records of live nodes and drops index entries whose record expired, in one atomic run. */
const LIST = `local ids = redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then out[#out + 1] = v else redis.call('SREM', KEYS[1], id) end
end
return out`;

/**
 * Which nodes are alive, kept in Redis. A started node writes `prefix + 'node:' + id` (JSON, with a
 * TTL) every heartbeat and adds its id to the set `prefix + 'nodes'`; the TTL, enforced by Redis,
 * removes a node that died without saying goodbye. `stop()` deletes the record at once.
 *
 * Watching polls instead of using keyspace notifications: those must be enabled in the Redis server
 * config, and expiry events fire late anyway. A registry used only to watch (the session server) need
 * not be started.
 */
export class NodeRegistry {
  private readonly redis: Redis;
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly watchMs: number;
  private readonly onError: (err: Error) => void;
  private self: NodeSelf | undefined;
  private load: (() => { connections: number }) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private watcher: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(nodes: NodeInfo[]) => void>();
  /** Last membership seen by the watcher (undefined before its first poll). */
  private snapshot: { sig: string; nodes: NodeInfo[] } | undefined;
  private polling = false;
  private closed = false;

  constructor(redisUrl: string, private readonly prefix = 'xpush:', opts: NodeRegistryOptions = {}) {
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    this.ttlMs = opts.ttlMs ?? 5000;
    this.watchMs = opts.watchMs ?? 500;
    this.onError = opts.onError ?? (() => undefined);
    if (this.heartbeatMs >= this.ttlMs) throw new RangeError('NodeRegistry: heartbeatMs must be shorter than ttlMs');
    // Failures reach callers as rejected commands (and onError for the background loops).
    this.redis = redisConnection(redisUrl, { offlineQueue: true, maxRetriesPerRequest: 1 });
    this.redis.defineCommand('xpNodeList', { numberOfKeys: 1, lua: LIST });
  }

  /** Registers this node and keeps its record alive. Resolves once the first record is written; rejects with `unavailable` if it cannot be. */
  async start(self: NodeSelf, load: () => { connections: number }): Promise<void> {
    if (this.self) throw new Error('NodeRegistry.start called twice');
    if (this.closed) throw new Error('NodeRegistry is stopped');
    this.self = { id: self.id, url: self.url, role: self.role };
    this.load = load;
    try {
      await this.beat();
    } catch (err) {
      // Not registered: the caller may retry start().
      this.self = undefined;
      this.load = undefined;
      throw err;
    }
    this.heartbeat = setInterval(() => {
      this.beat().catch((err: Error) => this.onError(err));
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Deregisters at once (graceful leave), stops watching and closes the connection. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.watcher);
    this.listeners.clear();
    if (this.self) {
      await guard(this.redis.multi().del(this.recordKey(this.self.id)).srem(this.indexKey(), this.self.id).exec()).catch(
        (err: Error) => this.onError(err),
      );
    }
    await closeRedis(this.redis);
  }

  /** Live nodes, sorted by id. */
  async list(): Promise<NodeInfo[]> {
    const raw = await guard(
      (this.redis as unknown as { xpNodeList(k: string, p: string): Promise<string[]> }).xpNodeList(this.indexKey(), `${this.prefix}node:`),
    );
    return raw.map((s) => JSON.parse(s) as NodeInfo).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Calls `cb` with the full live list whenever membership (ids, urls, roles) changes — not on every
   * heartbeat's connection count. A new listener gets the current list as soon as one is known.
   * Returns a function that removes the listener.
   */
  onChange(cb: (nodes: NodeInfo[]) => void): () => void {
    if (this.closed) throw new Error('NodeRegistry is stopped');
    this.listeners.add(cb);
    const snap = this.snapshot;
    if (snap) queueMicrotask(() => this.listeners.has(cb) && cb(snap.nodes));
    if (!this.watcher) {
      this.watcher = setInterval(() => void this.poll(), this.watchMs);
      this.watcher.unref();
      void this.poll();
    }
    return () => {
      this.listeners.delete(cb);
      if (this.listeners.size === 0) {
        clearInterval(this.watcher);
        this.watcher = undefined;
        this.snapshot = undefined;
      }
    };
  }

  private async beat(): Promise<void> {
    if (!this.self || !this.load || this.closed) return;
    const info: NodeInfo = { ...this.self, connections: this.load().connections, updatedAt: Date.now() };
    const results = await guard(
      this.redis
        .multi()
        .set(this.recordKey(info.id), JSON.stringify(info), 'PX', this.ttlMs)
        .sadd(this.indexKey(), info.id)
        .exec(),
    );
    const failed = results.find(([err]) => err);
    if (failed) throw Errors.unavailable.with(`node registry: ${failed[0]!.message}`);
  }

  private async poll(): Promise<void> {
    // A slow Redis must not stack up overlapping polls.
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      const nodes = await this.list();
      const sig = JSON.stringify(nodes.map((n) => [n.id, n.url, n.role]));
      if (this.closed || this.listeners.size === 0 || sig === this.snapshot?.sig) return;
      this.snapshot = { sig, nodes };
      for (const cb of this.listeners) cb(nodes);
    } catch (err) {
      this.onError(err as Error);
    } finally {
      this.polling = false;
    }
  }

  private recordKey(id: string): string {
    return `${this.prefix}node:${id}`;
  }

  private indexKey(): string {
    return `${this.prefix}nodes`;
  }
}

/** Redis failures (refused, timed out, retries exhausted, aborted transaction) become `Errors.unavailable`. */
async function guard<T>(p: Promise<T>): Promise<NonNullable<T>> {
  let v: T;
  try {
    v = await p;
  } catch (err) {
    throw Errors.unavailable.with(`node registry: ${(err as Error).message}`);
  }
  if (v == null) throw Errors.unavailable.with('node registry: transaction aborted');
  return v;
}
