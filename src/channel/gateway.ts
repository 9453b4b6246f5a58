import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ChannelContext } from './context.ts';
import { Client } from './client.ts';
import { Disconnects } from '../disconnect.ts';

export const WS_PATH = '/connection/websocket';

/**
 * The channel server's front door: upgrades `/connection/websocket` on the shared HTTP server and
 * owns the one timer that sweeps every connection (connect timeout, ping/pong, token expiry) — one
 * interval for all, not timers per connection.
 */
export class Gateway {
  private readonly wss: WebSocketServer;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Client>();
  private accepting = true;

  constructor(private readonly ctx: ChannelContext) {
    const cfg = ctx.core.config;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: cfg.maxFrameBytes, perMessageDeflate: cfg.perMessageDeflate, clientTracking: false });
  }

  attach(server: HttpServer): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH || !this.accepting) {
        socket.end(`HTTP/1.1 ${this.accepting ? '404 Not Found' : '503 Service Unavailable'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    });
    const cfg = this.ctx.core.config;
    const every = Math.max(50, Math.min(1000, Math.floor(cfg.pongTimeoutMs / 2), Math.floor(cfg.connectTimeoutMs / 2)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  private onConnection(ws: WebSocket): void {
    const c = new Client(ws, this.ctx);
    this.pending.add(c);
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', onError);
    (ws as WebSocket & { xpushClient?: Client }).xpushClient = c;
  }

  private sweep(): void {
    const now = Date.now();
    const cfg = this.ctx.core.config;
    for (const c of this.pending) {
      if (c.closed || c.connected) this.pending.delete(c);
      else if (now - c.openedAt > cfg.connectTimeoutMs) {
        this.pending.delete(c);
        c.close(Disconnects.stale);
      }
    }
    for (const h of this.ctx.hub.clients) {
      const c = h as Client;
      if (c.expiresAt && now >= c.expiresAt + cfg.tokenExpiryGraceMs) c.close(Disconnects.connectionExpired);
      else if (c.pingSentAt && now - c.pingSentAt > cfg.pongTimeoutMs) c.close(Disconnects.noPong);
      else if (!c.pingSentAt && now - (c.lastPingAt || c.openedAt) >= cfg.pingIntervalMs) c.ping(now);
    }
  }

  get connections(): number {
    return this.ctx.hub.clients.size;
  }

  /** New upgrades get 503 from now on. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Tell every client to reconnect elsewhere (3001 shutdown, the SDK reconnects). */
  shutdown(): void {
    this.accepting = false;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const c of this.pending) c.close(Disconnects.shutdown);
    for (const c of this.ctx.hub.all()) c.close(Disconnects.shutdown);
    this.wss.close();
  }
}

// Module-level listeners: no closures per connection on the hot path.
function onMessage(this: WebSocket & { xpushClient?: Client }, data: Buffer, isBinary: boolean): void {
  this.xpushClient?.onMessage(data, isBinary);
}
function onClose(this: WebSocket & { xpushClient?: Client }, code: number, reason: Buffer): void {
  this.xpushClient?.onSocketClosed(code, reason.toString());
}
function onError(this: WebSocket & { xpushClient?: Client }): void {
  // ws already closes the socket with the right code (1009 too big, 1007 bad UTF-8); 'close' follows.
}
