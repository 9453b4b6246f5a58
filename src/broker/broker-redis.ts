import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Broker, BrokerHandler } from './broker.ts';
import { Errors } from '../errors.ts';
import { closeRedis, redisConnection, REDIS_CONNECT_TIMEOUT_MS as CONNECT_TIMEOUT_MS } from './redis-connection.ts';

/**
 * Redis pub/sub broker for a cluster: see Broker for the contract. Two connections, because a
 * connection in subscriber mode cannot publish. Every topic becomes the Redis channel `prefix + topic`,
 * so clusters with different prefixes share one Redis without seeing each other.
 *
 * Failure behaviour: the publisher has no offline queue and never re-sends a command after a
 * reconnect, so `publish` rejects with `Errors.unavailable` while Redis is away (no silent queueing, no
 * duplicates). Both connections keep reconnecting in the background; when both are back the
 * subscriber re-subscribes every topic and only then reports recovery, so the hub's re-sync after
 * `onConnectionState(false)` cannot miss events.
 *
 * `start` resolves once connected, or — if Redis cannot be reached at boot — reports
 * `onConnectionState(true)` and resolves anyway: a node may start before its Redis.
 *
 * Every event goes out stamped `@<µs since epoch, base 36>.<sender tag>|<payload>` with the
 * publishing process's clock, so receivers can report the broker lag (`onReceiveLag`). The stamp is
 * this class's own framing: the payload handed to `onEvent` is exactly what was published.
 */
export interface RedisBrokerOptions {
  /**
   * Called for every event received with the publisher's clock at publish minus this process's clock at
   * receipt, in seconds; `self` when this broker published it (same clock: no skew). From another host
   * the figure includes the offset between the two clocks.
   */
  onReceiveLag?: (seconds: number, self: boolean) => void;
}

/** Wall-clock time in microseconds, finer than Date.now() (sub-millisecond lags on one host are the norm). */
function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class RedisBroker implements Broker {
  readonly kind = 'redis' as const;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private handler: BrokerHandler | undefined;
  private readonly topics = new Set<string>();
  /** True while the link is reported lost (transitions only are reported). */
  private lost = false;
  /** The subscriber is ready and holds every topic in `topics`. */
  private subscribed = false;
  private closed = false;
  /** start() has settled; before that it decides itself what to report. */
  private started = false;
  private lastError: Error | undefined;
  /** Tells this broker's own events from other nodes' when measuring lag. */
  private readonly tag = randomBytes(4).toString('hex');
  private readonly onLag: ((seconds: number, self: boolean) => void) | undefined;

  constructor(url: string, private readonly prefix = 'xpush:', opts: RedisBrokerOptions = {}) {
    this.onLag = opts.onReceiveLag;
    this.pub = redisConnection(url, { lazy: true });
    // We re-subscribe ourselves (on 'ready') so recovery is reported only once it is complete.
    this.sub = redisConnection(url, { lazy: true, autoResubscribe: false });
    // Errors surface as rejected commands and connection-state changes; keep the last one for messages.
    const onError = (err: Error): void => {
      this.lastError = err;
    };
    this.pub.on('error', onError);
    this.sub.on('error', onError);
    this.pub.on('close', () => this.linkDown());
    this.sub.on('close', () => {
      this.subscribed = false;
      this.linkDown();
    });
    this.pub.on('ready', () => this.maybeRecovered());
    this.sub.on('ready', () => void this.resubscribe());
    this.sub.on('message', (channel: string, message: string) => this.deliver(channel, message));
  }

  async start(handler: BrokerHandler): Promise<void> {
    if (this.closed) throw new Error('RedisBroker is closed');
    if (this.handler) throw new Error('RedisBroker.start called twice');
    this.handler = handler;
    const connected = this.waitConnected();
    this.pub.connect().catch(() => undefined); // failures arrive as 'close' and are retried
    this.sub.connect().catch(() => undefined);
    if (!(await connected) && !this.closed && !this.lost) {
      this.lost = true;
      this.handler.onConnectionState?.(true);
    }
  }

  /** See Broker.subscribe. Rejects with `unavailable` (and records no interest) while Redis is away. */
  async subscribe(topic: string): Promise<void> {
    this.assertOpen();
    if (this.topics.has(topic)) return;
    if (this.sub.status !== 'ready') throw this.unavailable();
    this.topics.add(topic);
    try {
      await this.sub.subscribe(this.prefix + topic);
    } catch {
      this.topics.delete(topic);
      throw this.unavailable();
    }
  }

  /** See Broker.unsubscribe. Local interest ends at once; a lost link drops the Redis side anyway. */
  async unsubscribe(topic: string): Promise<void> {
    if (!this.topics.delete(topic) || this.sub.status !== 'ready') return;
    // Events already in flight for this topic are filtered out by deliver().
    await this.sub.unsubscribe(this.prefix + topic).catch((err: Error) => {
      this.lastError = err;
    });
  }

  /** See Broker.listened: other nodes may be subscribed, which only Redis knows. */
  listened(): boolean {
    return true;
  }

  /** See Broker.publish. */
  async publish(topic: string, payload: string): Promise<void> {
    this.assertOpen();
    if (this.pub.status !== 'ready') throw this.unavailable();
    try {
      await this.pub.publish(this.prefix + topic, `@${nowMicros().toString(36)}.${this.tag}|${payload}`);
    } catch (err) {
      this.lastError = err as Error;
      throw this.unavailable();
    }
  }

  /** See Broker.ping: both connections ready and Redis answering PING. */
  async ping(): Promise<void> {
    this.assertOpen();
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready') throw this.unavailable();
    try {
      await this.pub.ping();
    } catch (err) {
      this.lastError = err as Error;
      throw this.unavailable();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handler = undefined;
    this.topics.clear();
    await Promise.all([closeRedis(this.pub), closeRedis(this.sub)]);
  }

  private deliver(channel: string, message: string): void {
    if (!channel.startsWith(this.prefix)) return;
    const topic = channel.slice(this.prefix.length);
    if (!this.topics.has(topic)) return;
    if (message.charCodeAt(0) === 64 /* @ */) {
      const bar = message.indexOf('|');
      const dot = message.indexOf('.');
      if (this.onLag && dot > 0 && dot < bar) {
        const sent = parseInt(message.slice(1, dot), 36);
        this.onLag((nowMicros() - sent) / 1e6, bar - dot - 1 === this.tag.length && message.startsWith(this.tag, dot + 1));
      }
      message = message.slice(bar + 1);
    }
    this.handler?.onEvent(topic, message);
  }

  private linkDown(): void {
    if (this.closed || this.lost || !this.handler || !this.started) return;
    this.lost = true;
    this.handler.onConnectionState?.(true);
  }

  private async resubscribe(): Promise<void> {
    if (this.closed) return;
    const channels = [...this.topics].map((t) => this.prefix + t);
    try {
      if (channels.length > 0) await this.sub.subscribe(...channels);
    } catch (err) {
      // The link dropped again; the next 'ready' retries.
      this.lastError = err as Error;
      return;
    }
    this.subscribed = true;
    this.maybeRecovered();
  }

  private maybeRecovered(): void {
    if (this.closed || !this.subscribed || this.pub.status !== 'ready') return;
    if (!this.lost) return;
    this.lost = false;
    this.handler?.onConnectionState?.(false);
  }

  /** Resolves true when both connections are ready, false on the first failure or after the timeout. */
  private waitConnected(): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.pub.off('close', fail);
        this.sub.off('close', fail);
        this.pub.off('ready', check);
        this.sub.off('ready', check);
        this.started = true;
        resolve(ok);
      };
      const fail = (): void => done(false);
      // The subscriber is 'ready' before resubscribe() sets `subscribed`; with no topics yet that is immediate.
      const check = (): void => {
        if (this.pub.status === 'ready' && this.sub.status === 'ready') done(true);
      };
      const timer = setTimeout(fail, CONNECT_TIMEOUT_MS);
      this.pub.on('close', fail);
      this.sub.on('close', fail);
      this.pub.on('ready', check);
      this.sub.on('ready', check);
    });
  }

  private unavailable(): Error {
    const why = this.lastError ? `: ${this.lastError.message}` : '';
    return Errors.unavailable.with(`redis broker unavailable${why}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('RedisBroker is closed');
    if (!this.handler) throw new Error('RedisBroker.start must be called first');
  }
}
