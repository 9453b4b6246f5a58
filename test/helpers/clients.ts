import { Centrifuge, type Options } from 'centrifuge';
import WebSocket from 'ws';
import type { TestApp, TestServer } from './server.ts';

/** Registers and logs in a user from a device over the real HTTP API; returns the login body. */
export async function userSession(ts: TestServer, app: TestApp, user: string, device = 'phone', password = 'correct-horse-1'): Promise<{ accessToken: string; refreshToken: string; session: string; user: string; device: string }> {
  const r = await ts.http('POST', `/v1/apps/${app.id}/users`, { user, password }, { 'x-app-key': app.key });
  if (r.status !== 201 && r.status !== 409) throw new Error(`register ${user}: ${r.status} ${JSON.stringify(r.body)}`);
  const l = await ts.http('POST', `/v1/apps/${app.id}/auth/login`, { user, password, device }, { 'x-app-key': app.key });
  if (l.status !== 200) throw new Error(`login ${user}: ${l.status} ${JSON.stringify(l.body)}`);
  return l.body;
}

/** Server API call with the app secret. */
export function api(ts: TestServer, app: TestApp, method: string, path: string, body?: unknown) {
  return ts.http(method, `/v1/apps/${app.id}${path}`, body, { 'x-api-key': app.secret });
}

/** The official centrifuge JS client, in Node with `ws`, connected (resolves on 'connected'). */
export async function sdkClient(t: { after(fn: () => unknown): void }, wsUrl: string, token: string, opts: Partial<Options> = {}): Promise<Centrifuge> {
  const c = new Centrifuge(wsUrl, { token, websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay: 300, ...opts });
  t.after(() => c.disconnect());
  const connected = new Promise<void>((resolve, reject) => {
    c.once('connected', () => resolve());
    c.once('disconnected', (ctx) => reject(new Error(`disconnected ${ctx.code} ${ctx.reason}`)));
  });
  c.connect();
  await connected;
  return c;
}

/** A raw WebSocket that speaks frames by hand: for what the SDK never sends. */
export class RawClient {
  readonly ws: WebSocket;
  readonly received: any[] = [];
  closed: { code: number; reason: string } | undefined;
  /** Answer server pings (`{}`) like the SDKs do. Off by default so tests can see ping behaviour. */
  autoPong = false;
  private waiters: (() => void)[] = [];
  private nextId = 1;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => {
      for (const line of data.toString().split('\n')) {
        if (!line.trim()) continue;
        if (line.trim() === '{}' && this.autoPong) {
          this.ws.send('{}');
          continue;
        }
        this.received.push(JSON.parse(line));
      }
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Sends one command with a fresh id; resolves with its reply. */
  async call(command: string, body: unknown): Promise<any> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, [command]: body }));
    return this.waitFor((m) => m.id === id);
  }

  /** Resolves with the first received message matching `pred` (already received ones count). */
  async waitFor(pred: (m: any) => boolean, timeoutMs = 3000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      if (this.closed) throw new Error(`socket closed ${this.closed.code} ${this.closed.reason} while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for message; got: ' + JSON.stringify(this.received).slice(0, 500));
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  async waitClosed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket not closed; got: ' + JSON.stringify(this.received).slice(0, 300));
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }
}

export async function rawClient(t: { after(fn: () => unknown): void }, url: string): Promise<RawClient> {
  const c = new RawClient(url);
  t.after(() => c.close());
  await c.open();
  return c;
}
