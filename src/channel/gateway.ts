import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ChannelContext } from './context.ts';
import { Client } from './client.ts';
import { WebSocketTransport } from './transports/websocket.ts';
import type { Encoding } from './transport.ts';
import { decodeFrame, type Decoded } from '../protocol/codec.ts';
import { decodeCommandFrame } from '../protocol/protobuf/codec.ts';
import { Disconnects } from '../disconnect.ts';
import { originAllowed } from './origin.ts';
import { serveIgnoringUpgrade } from './ignore-upgrade.ts';
import { clientIpOf } from './client-ip.ts';

export const WS_PATH = '/connection/websocket';
/** The WebSocket subprotocol of the Protobuf encoding (as Centrifugo and the official SDKs name it). */
export const PROTOBUF_SUBPROTOCOL = 'centrifuge-protobuf';

/**
 * The channel server's front door for WebSockets, and the owner of every client connection of any
 * transport (`adopt`): one timer sweeps them all (connect timeout, ping/pong, token expiry) — one
 * interval for all, not timers per connection — and a drain ends them in order.
 */
export class Gateway {
  private readonly wss: WebSocketServer;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Every live connection on this node, connected or not yet. */
  readonly clients = new Set<Client>();
  private accepting = true;
  private readonly ipOf: (req: IncomingMessage) => string;

  constructor(private readonly ctx: ChannelContext) {
    const cfg = ctx.core.config;
    this.ipOf = clientIpOf(cfg.trustProxy);
    this.wss = new WebSocketServer({
      noServer: true, maxPayload: cfg.maxFrameBytes, perMessageDeflate: cfg.perMessageDeflate, clientTracking: false,
      // The Protobuf SDKs offer `centrifuge-protobuf`; anything else (or nothing) is JSON.
      handleProtocols: (offered) => (offered.has(PROTOBUF_SUBPROTOCOL) ? PROTOBUF_SUBPROTOCOL : false),
    });
  }

  attach(server: HttpServer): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return serveIgnoringUpgrade(server, req, socket as Socket, head);
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH || !this.accepting) {
        this.ctx.core.log.debug({ path, status: this.accepting ? 404 : 503 }, 'websocket upgrade refused');
        socket.end(`HTTP/1.1 ${this.accepting ? '404 Not Found' : '503 Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      if (!originAllowed(req.headers.origin, this.ctx.core.config.allowedOrigins)) {
        this.ctx.core.log.debug({ origin: req.headers.origin, status: 403 }, 'websocket upgrade refused: origin not allowed');
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const pb = ws.protocol === PROTOBUF_SUBPROTOCOL || /[?&]format=protobuf(&|$)/.test(req.url ?? '');
        this.onWebSocket(ws, socket as Socket, pb ? 'protobuf' : 'json', this.ipOf(req));
      });
    });
    const cfg = this.ctx.core.config;
    const every = Math.max(50, Math.min(1000, Math.floor(cfg.pongTimeoutMs / 2), Math.floor(cfg.connectTimeoutMs / 2)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** True while new connections are taken (false once a drain started). */
  get isAccepting(): boolean {
    return this.accepting;
  }

  /** Takes charge of a new connection of any transport. */
  adopt(c: Client): void {
    this.clients.add(c);
  }

  private onWebSocket(ws: WebSocket, socket: Socket, encoding: Encoding, ip: string): void {
    const raw = this.ctx.core.config.perMessageDeflate ? undefined : socket;
    const c = new Client(new WebSocketTransport(ws, raw, encoding), encoding === 'json' ? decodeJson : this.decodeProtobuf, this.ctx, undefined, ip);
    this.adopt(c);
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
    (ws as WebSocket & { xpushClient?: Client }).xpushClient = c;
  }

  private sweep(): void {
    const now = Date.now();
    const cfg = this.ctx.core.config;
    for (const c of this.clients) {
      if (c.closed) {
        this.clients.delete(c);
        continue;
      }
      if (!c.connected) {
        if (now - c.openedAt > cfg.connectTimeoutMs) c.close(Disconnects.stale);
        continue;
      }
      if (c.expiresAt && now >= c.expiresAt + cfg.tokenExpiryGraceMs) c.close(Disconnects.connectionExpired);
      else if (c.pingSentAt && now - c.pingSentAt > cfg.pongTimeoutMs) c.close(Disconnects.noPong);
      else if (!c.pingSentAt && now - (c.lastPingAt || c.openedAt) >= cfg.pingIntervalMs) c.ping(now);
    }
  }

  get connections(): number {
    return this.ctx.hub.clients.size;
  }

  /** New connections are refused from now on (503). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Graceful shutdown, step 1: every connection refuses new commands and the returned promise
   * resolves once the commands already running have answered (acks of committed publishes included).
   */
  async drain(): Promise<void> {
    this.accepting = false;
    await Promise.all([...this.clients].map((c) => c.drain()));
  }

  /** Step 2: tell every client to reconnect elsewhere (3001 shutdown, the SDKs reconnect). */
  shutdown(): void {
    this.accepting = false;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const c of this.clients) c.close(Disconnects.shutdown);
    this.clients.clear();
    this.wss.close();
  }

  private readonly decodeProtobuf = (data: Buffer): Decoded[] => decodeCommandFrame(data, this.ctx.core.config.maxFrameBytes);
}

function decodeJson(data: Buffer): Decoded[] {
  return decodeFrame(data.toString('utf8'));
}

// Module-level listeners: no closures per connection on the hot path.
function onMessage(this: WebSocket & { xpushClient?: Client }, data: Buffer): void {
  this.xpushClient?.onMessage(data);
}
function onClose(this: WebSocket & { xpushClient?: Client }, code: number, reason: Buffer): void {
  this.xpushClient?.onTransportClosed(code, reason.toString());
}
function onError(this: WebSocket & { xpushClient?: Client }): void {
  // ws already closes the socket with the right code (1009 too big, 1007 bad UTF-8); 'close' follows.
}
