import { randomUUID } from 'node:crypto';
import type { ChannelContext } from './context.ts';
import type { HubClient } from './hub.ts';
import type { Conn, Identity, Sub } from './conn.ts';
import type { Transport } from './transport.ts';
import type { Actor } from '../hooks.ts';
import { Writer } from './writer.ts';
import { OutFrame, PING } from './out-frame.ts';
import type { Decoded } from '../protocol/codec.ts';
import type { CommandName } from '../protocol/types.ts';
import { Errors, XPushError, toXPushError } from '../errors.ts';
import { Disconnect, Disconnects } from '../disconnect.ts';
import { COMMANDS, REPLIED } from './commands/index.ts';
import { subscribeServerSide, unsubscribeByServer, leaveAll } from './commands/subscribe.ts';
import { defaultLimits } from '../limits/app-limits.ts';
import type { AppLimits } from '../protocol/app-settings.ts';

type Command = { id: number; name: CommandName; body: Record<string, unknown> };

/**
 * What an idle connection holds is per-connection memory times every connection (docs/scaling.md):
 * connections share these until they need their own (a subscription map, a publish chain).
 */
const NO_SUBS: ReadonlyMap<string, Sub> = new Map();
const SETTLED: Promise<unknown> = Promise.resolve();

/**
 * One client connection, whatever its transport: its identity once connected, its subscriptions,
 * its writer, and the dispatch of incoming commands (one file per command under commands/).
 */
export class Client implements Conn, HubClient {
  readonly id = randomUUID();
  readonly writer: Writer;
  app = '';
  user = '';
  device = '';
  session: string | undefined;
  info: unknown;
  /** Token expiry, ms since epoch (0 = not connected yet). */
  expiresAt = 0;
  connected = false;
  closed = false;
  autoSubscribe = false;
  limits: AppLimits;
  /** Created on the first subscription (most connections idle with none or a few). */
  private subMap: Map<string, Sub> | undefined;
  readonly openedAt = Date.now();
  /** When the unanswered ping was sent (0 = none outstanding). */
  pingSentAt = 0;
  lastPingAt = 0;
  private errors = 0;
  private tokens: number;
  private tokensAt = Date.now();
  /** Set while connect runs: commands behind it wait for it (see onMessage). */
  private connecting: Promise<void> | undefined;
  /** Publishes of one connection enter the store in the order they were sent. */
  private order: Promise<unknown> = SETTLED;
  /** Stages (inOrder) not settled yet. */
  private staging = 0;
  /** Commands dispatched and not answered yet (a drain waits for them). */
  private inflight = 0;
  private draining = false;
  private idle: (() => void) | undefined;

  constructor(
    readonly transport: Transport,
    private readonly decode: (data: Buffer) => Decoded[],
    readonly ctx: ChannelContext,
    /** Emulation session id, for the HTTP-streaming transports. */
    readonly emulationSession: string | undefined = undefined,
    readonly ip = '',
  ) {
    const cfg = ctx.core.config;
    this.limits = defaultLimits(cfg);
    this.tokens = cfg.maxCommandsPerSecond * 2;
    this.writer = new Writer(transport, cfg.maxWriteBufferBytes, this);
  }

  get subs(): ReadonlyMap<string, Sub> {
    return this.subMap ?? NO_SUBS;
  }

  /** The writer's queue passed maxWriteBufferBytes (see Writer). */
  onSlowConsumer(): void {
    this.ctx.core.metrics.slowConsumer();
    this.close(Disconnects.slow);
  }

  get actor(): Actor {
    return { app: this.app, user: this.user, device: this.device, client: this.id };
  }

  push(frame: OutFrame): void {
    this.writer.push(frame);
  }

  ping(now: number): void {
    // Unidirectional clients cannot answer: they are pinged so they can tell a dead link, nothing more.
    if (this.transport.bidirectional) this.pingSentAt = now;
    this.lastPingAt = now;
    this.writer.push(PING);
  }

  // ---- Conn ----
  authenticate(id: Identity): void {
    this.app = id.app;
    this.user = id.user;
    this.device = id.device;
    this.session = id.session;
    this.info = id.info;
    this.expiresAt = id.expiresAt;
    this.autoSubscribe = id.autoSubscribe;
    this.limits = id.limits;
    this.connected = true;
  }

  extend(expiresAt: number): void {
    this.expiresAt = expiresAt;
  }

  setSub(sub: Sub): void {
    (this.subMap ??= new Map()).set(sub.channel, sub);
  }

  deleteSub(channel: string): void {
    this.subMap?.delete(channel);
  }

  clientSubscriptions(): number {
    let n = 0;
    for (const s of this.subs.values()) if (!s.serverSide) n++;
    return n;
  }

  channels(): Iterable<string> {
    return this.subs.keys();
  }

  inOrder<T>(stage: () => Promise<T>): Promise<T> {
    this.staging++;
    const staged = this.order.then(stage, stage);
    const settled = (): void => {
      this.staging--;
    };
    this.order = staged.then(settled, settled);
    return staged;
  }

  inOrderIdle(): boolean {
    return this.staging === 0;
  }

  // ---- incoming ----
  onMessage(data: Buffer): void {
    if (this.closed) return;
    for (const cmd of this.decode(data)) {
      if (this.closed) return;
      if (!cmd.ok) {
        if (cmd.fatal || cmd.id === undefined || !this.connected) return this.close(Disconnects.badRequest.with(`bad request: ${cmd.message}`));
        this.fail(cmd.id, Errors.badRequest.with(cmd.message));
        continue;
      }
      if (cmd.pong) {
        this.pingSentAt = 0;
        continue;
      }
      if (cmd.name === 'connect' && (this.connected || this.connecting)) return this.close(Disconnects.badRequest.with('bad request: already connected'));
      if (this.connecting) {
        // The SDKs pipeline connect and their subscribes in one frame (centrifuge-js does on every
        // reconnect): run what follows a connect once it is done, in arrival order.
        const queued = cmd;
        this.connecting.then(() => {
          if (this.connected && !this.closed) this.dispatch(queued);
        });
        continue;
      }
      if (!this.connected && cmd.name !== 'connect') return this.close(Disconnects.badRequest.with('bad request: connect first'));
      this.dispatch(cmd);
    }
  }

  private dispatch(cmd: Command): void {
    const metrics = this.ctx.core.metrics;
    if (this.draining) {
      metrics.commandRefused(cmd.name, Errors.unavailable.code);
      return this.fail(cmd.id, Errors.unavailable.with('server is shutting down; reconnect and retry'));
    }
    if (!this.takeToken()) {
      metrics.commandRefused(cmd.name, Errors.tooManyRequests.code);
      return this.fail(cmd.id, Errors.tooManyRequests);
    }
    this.inflight++;
    const t0 = performance.now();
    // Each outcome ends with `answered` itself (no .finally: one promise and two closures fewer per command).
    const done = COMMANDS[cmd.name](this, cmd.body, cmd.id).then(
      (result) => {
        try {
          metrics.command(cmd.name, 0, (performance.now() - t0) / 1000);
          if (cmd.name === 'connect' && !this.closed) this.ctx.core.log.debug({ client: this.id, app: this.app, user: this.user, device: this.device, transport: this.transport.name }, 'client connected');
          if (cmd.id && !this.closed && result !== REPLIED) this.writer.push(OutFrame.reply({ id: cmd.id, [cmd.name]: result ?? {} }));
        } finally {
          this.answered();
        }
      },
      (err) => {
        try {
          const code = err instanceof XPushError || err instanceof Disconnect ? err.code : Errors.internal.code;
          metrics.command(cmd.name, code, (performance.now() - t0) / 1000);
          if (cmd.name === 'connect') this.ctx.core.log.debug({ client: this.id, code, reason: (err as Error).message, transport: this.transport.name }, 'connect refused');
          this.onCommandError(cmd.id, err);
        } finally {
          this.answered();
        }
      },
    );
    if (cmd.name === 'connect') {
      this.connecting = done;
      void done.then(() => { this.connecting = undefined; });
    }
  }

  private answered(): void {
    if (--this.inflight === 0 && this.idle) this.idle();
  }

  private onCommandError(id: number, err: unknown): void {
    if (this.closed) return;
    if (err instanceof Disconnect) return this.close(err);
    if (!(err instanceof XPushError)) this.ctx.core.log.error({ err, client: this.id }, 'command failed');
    if (id) this.fail(id, toXPushError(err));
  }

  private fail(id: number, err: XPushError): void {
    // A unidirectional client sent no command and reads no reply: its failed connect ends it.
    if (!this.transport.bidirectional) return this.close(disconnectFor(err));
    if (!id) return;
    this.writer.push(OutFrame.reply({ id, error: err.toJSON() }));
    if (err.code === Errors.badRequest.code && ++this.errors > this.ctx.core.config.maxErrorsPerConnection) this.close(Disconnects.tooManyErrors);
  }

  /** Token bucket: maxCommandsPerSecond sustained, twice that in a burst. */
  private takeToken(): boolean {
    const rate = this.ctx.core.config.maxCommandsPerSecond;
    if (rate <= 0) return true;
    const now = Date.now();
    this.tokens = Math.min(rate * 2, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Graceful shutdown, step 1: refuse new commands (503, temporary) and resolve once every command
   * already running has answered — a publish that is being committed still gets its ack.
   */
  drain(): Promise<void> {
    this.draining = true;
    if (this.inflight === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => { this.idle = resolve; });
  }

  // ---- HubClient ----
  onMemberAdded(channel: string, from: number): void {
    if (this.autoSubscribe && !this.subs.has(channel) && !this.closed) {
      subscribeServerSide(this, channel, from).catch((err) => this.ctx.core.log.warn({ err, channel }, 'server-side subscribe failed'));
    }
  }

  onAccessLost(channel: string): void {
    if (this.subs.has(channel)) unsubscribeByServer(this, channel);
  }

  /** Ends the connection with a protocol disconnect code; queued replies are written first. */
  close(d: Disconnect): void {
    if (this.closed) return;
    this.writer.flush();
    this.closed = true;
    this.writer.close();
    this.transport.close(d);
    this.cleanup(d);
  }

  /** The peer went away (socket closed, stream aborted): same cleanup. */
  onTransportClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close();
    this.cleanup(new Disconnect(code, reason));
  }

  private cleanup(d: Disconnect): void {
    if (this.idle) this.idle();
    const { metrics, log } = this.ctx.core;
    metrics.disconnected(d.code);
    log.debug({ client: this.id, app: this.app || undefined, user: this.user || undefined, code: d.code, reason: d.reason, connected: this.connected }, 'client disconnected');
    if (!this.connected) return;
    // A connection that dropped (rather than closed on purpose or for good) lingers in presence: if
    // the device is back within presenceDelayMs, its channels see no leave/join pair.
    leaveAll(this, lingers(d.code) ? this.ctx.core.config.presenceDelayMs : 0);
    this.ctx.hub.removeClient(this);
    this.ctx.core.userPresence.disconnected(this.app, this.user, this.id).catch((err) => this.ctx.core.log.warn({ err }, 'user presence update failed'));
    this.ctx.core.hooks.after('afterDisconnect', { ...this.actor, code: d.code, reason: d.reason });
  }
}

/**
 * Whether a closed connection's presence lingers: not after a clean close by the client (1000, or
 * 1005 without a code: `disconnect()` in the SDKs) nor after a terminal code (kicked, logged out,
 * limits: the SDK will not come back); yes after a drop (1001 page unload, 1006 lost link, no pong,
 * shutdown and the other reconnect codes).
 */
export function lingers(code: number): boolean {
  if (code === 1000 || code === 1005) return false;
  return !((code >= 3500 && code < 4000) || (code >= 4500 && code < 5000));
}

/** The disconnect that ends a unidirectional connection whose connect failed with `err`. */
function disconnectFor(err: XPushError): Disconnect {
  if (err.code === Errors.tokenExpired.code || err.code === Errors.unauthorized.code) return Disconnects.invalidToken.with(`invalid token: ${err.message}`);
  if (err.temporary) return Disconnects.internal.with(err.message);
  return Disconnects.badRequest.with(`bad request: ${err.message}`);
}
