import { Centrifuge, type Options } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
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

/** The two encodings of the Centrifugal protocol; centrifuge-js has one build for each. */
export type Encoding = 'json' | 'protobuf';
/** Run a test body once per encoding: `for (const enc of ENCODINGS) test(`… [${enc}]`, …)`. */
export const ENCODINGS: readonly Encoding[] = ['json', 'protobuf'];

// The two builds declare the same class; its private fields make TypeScript treat them as unrelated.
const CENTRIFUGE: Record<Encoding, typeof Centrifuge> = {
  json: Centrifuge,
  protobuf: ProtobufCentrifuge as unknown as typeof Centrifuge,
};

/**
 * A JSON value as a client of `enc` sends it in a `data` field: as is over JSON, the UTF-8 bytes of
 * its JSON text over Protobuf (XPUSH's rule for Protobuf payloads; JSON clients see the value).
 */
export function payload(enc: Encoding, value: unknown): any {
  return enc === 'protobuf' ? new TextEncoder().encode(JSON.stringify(value)) : value;
}

/**
 * A payload as a client received it → its JSON value: bytes (Protobuf) are parsed as UTF-8 JSON
 * text, anything else is already the value.
 */
export function dataOf<T = any>(x: unknown): T {
  return (x instanceof Uint8Array ? JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(x)) : x) as T;
}

/** centrifuge-js options plus the encoding, which picks the build (JSON unless said). */
export type SdkOptions = Partial<Options> & { encoding?: Encoding };

/**
 * A new (not yet connecting) centrifuge-js client of the build for `opts.encoding`, with `ws` as its
 * WebSocket and short reconnect delays; a connect `data` given as a JSON value is sent as `payload`.
 */
export function newCentrifuge(wsUrl: string, token: string, opts: SdkOptions = {}, maxReconnectDelay = 300): Centrifuge {
  const { encoding = 'json', ...rest } = opts;
  if (rest.data !== undefined && !(rest.data instanceof Uint8Array)) rest.data = payload(encoding, rest.data);
  return new CENTRIFUGE[encoding](wsUrl, { token, websocket: WebSocket, minReconnectDelay: 50, maxReconnectDelay, ...rest });
}

/** The official centrifuge JS client, in Node with `ws`, connected (resolves on 'connected'). */
export async function sdkClient(t: { after(fn: () => unknown): void }, wsUrl: string, token: string, opts: SdkOptions = {}): Promise<Centrifuge> {
  const c = newCentrifuge(wsUrl, token, opts);
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

  /** `protocols`: the WebSocket subprotocols offered (none: the JSON encoding). */
  constructor(url: string, protocols?: string | string[]) {
    this.ws = new WebSocket(url, protocols);
    this.ws.on('message', (data: Buffer, binary: boolean) => {
      this.onData(data, binary);
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on('error', () => undefined);
  }

  /** One frame from the server: JSON lines; `{}` is a ping. */
  protected onData(data: Buffer, _binary: boolean): void {
    for (const line of data.toString().split('\n')) {
      if (!line.trim()) continue;
      if (line.trim() === '{}' && this.autoPong) {
        this.ws.send('{}');
        continue;
      }
      this.received.push(JSON.parse(line));
    }
  }

  /** One command as this client's encoding puts it on the wire. */
  protected encode(command: object): string | Uint8Array {
    return JSON.stringify(command);
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

  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** Sends one command with a fresh id; resolves with its reply. */
  async call(command: string, body: unknown): Promise<any> {
    const id = this.nextId++;
    this.ws.send(this.encode({ id, [command]: body }));
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
