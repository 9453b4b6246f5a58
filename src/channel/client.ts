import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { ChannelContext } from './context.ts';
import type { HubClient } from './hub.ts';
import type { Actor } from '../hooks.ts';
import { Writer, type Frame } from './writer.ts';
import { decodeFrame } from '../protocol/codec.ts';
import type { CommandName } from '../protocol/types.ts';
import { errorFrame, replyFrame, PING_FRAME } from '../protocol/frames.ts';
import { Errors, XPushError, toXPushError } from '../errors.ts';
import { Disconnects, type Disconnect } from '../disconnect.ts';
import { COMMANDS } from './commands/index.ts';
import { REPLIED } from './commands/replied.ts';
import { subscribeServerSide, unsubscribeByServer, leaveAll } from './commands/subscribe.ts';

export interface Sub {
  channel: string;
  joinLeave: boolean;
  serverSide: boolean;
}

/**
 * One WebSocket connection: its identity once connected, its subscriptions, its writer, and the
 * dispatch of incoming commands (one file per command under commands/).
 */
export class Client implements HubClient {
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
  readonly subs = new Map<string, Sub>();
  readonly openedAt = Date.now();
  /** When the unanswered ping was sent (0 = none outstanding). */
  pingSentAt = 0;
  lastPingAt = 0;
  lastSeenAt = Date.now();
  private errors = 0;
  private tokens: number;
  private tokensAt = Date.now();
  /** Set while connect runs: commands behind it wait for it (see onMessage). */
  private connecting: Promise<void> | undefined;
  /** Publishes of one connection enter the store in the order they were sent. */
  order: Promise<unknown> = Promise.resolve();

  constructor(readonly ws: WebSocket, readonly ctx: ChannelContext) {
    const cfg = ctx.core.config;
    this.tokens = cfg.maxCommandsPerSecond * 2;
    this.writer = new Writer(ws, cfg.maxWriteBufferBytes, () => this.close(Disconnects.slow), !cfg.perMessageDeflate);
  }

  get actor(): Actor {
    return { app: this.app, user: this.user, device: this.device, client: this.id };
  }

  push(frame: Frame): void {
    this.writer.push(frame);
  }

  ping(now: number): void {
    this.pingSentAt = now;
    this.lastPingAt = now;
    this.writer.push(PING_FRAME);
  }

  onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.closed) return;
    this.lastSeenAt = Date.now();
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    void isBinary; // binary frames are decoded as UTF-8 JSON too: some clients send them
    for (const cmd of decodeFrame(text)) {
      if (this.closed) return;
      if (!cmd.ok) {
        if (cmd.id === undefined || !this.connected) return this.close({ code: 3501, reason: `bad request: ${cmd.message}`.slice(0, 120) });
        this.fail(cmd.id, Errors.badRequest.with(cmd.message));
        continue;
      }
      if (cmd.pong) {
        this.pingSentAt = 0;
        continue;
      }
      if (cmd.name === 'connect' && (this.connected || this.connecting)) return this.close({ code: 3501, reason: 'bad request: already connected' });
      if (this.connecting) {
        // The SDKs pipeline connect and their subscribes in one frame (centrifuge-js does on every
        // reconnect): run what follows a connect once it is done, in arrival order.
        const queued = cmd;
        this.connecting.then(() => {
          if (this.connected && !this.closed) this.dispatch(queued);
        });
        continue;
      }
      if (!this.connected && cmd.name !== 'connect') return this.close({ code: 3501, reason: 'bad request: connect first' });
      this.dispatch(cmd);
    }
  }

  private dispatch(cmd: { id: number; name: CommandName; body: Record<string, unknown> }): void {
    if (!this.takeToken()) {
      this.fail(cmd.id, Errors.tooManyRequests);
      return;
    }
    const handler = COMMANDS[cmd.name];
    const done = handler(this, cmd.body, cmd.id).then(
      (result) => {
        if (cmd.id && !this.closed && result !== REPLIED) this.writer.push(replyFrame(cmd.id, cmd.name, result));
      },
      (err) => this.onCommandError(cmd.id, err),
    );
    if (cmd.name === 'connect') {
      this.connecting = done;
      void done.then(() => { this.connecting = undefined; });
    }
  }

  private onCommandError(id: number, err: unknown): void {
    if (this.closed) return;
    if (isDisconnect(err)) return this.close(err);
    if (!(err instanceof XPushError)) this.ctx.core.log.error({ err, client: this.id }, 'command failed');
    if (id) this.fail(id, toXPushError(err));
  }

  private fail(id: number, err: XPushError): void {
    this.writer.push(errorFrame(id, err.toJSON()));
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

  onMemberAdded(channel: string): void {
    if (this.autoSubscribe && !this.subs.has(channel) && !this.closed) {
      subscribeServerSide(this, channel).catch((err) => this.ctx.core.log.warn({ err, channel }, 'server-side subscribe failed'));
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
    try {
      this.ws.close(d.code, d.reason);
    } catch {
      this.ws.terminate();
    }
    this.cleanup(d);
  }

  /** The socket went away (peer closed, network): same cleanup. */
  onSocketClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.close();
    this.cleanup({ code, reason });
  }

  private cleanup(d: Disconnect): void {
    if (!this.connected) return;
    leaveAll(this);
    this.ctx.hub.removeClient(this);
    this.ctx.core.hooks.after('afterDisconnect', { ...this.actor, code: d.code, reason: d.reason });
  }
}

function isDisconnect(err: unknown): err is Disconnect {
  return typeof err === 'object' && err !== null && !(err instanceof Error) && typeof (err as Disconnect).code === 'number' && typeof (err as Disconnect).reason === 'string';
}
