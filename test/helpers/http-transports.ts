// Clients for the HTTP transports (http_stream, sse, emulation, uni_sse, uni_http_stream): the
// official centrifuge-js over them with a gate a test can close, and plain-HTTP stream readers for
// what an SDK-less consumer (curl, a bare EventSource) sees.
import { Centrifuge, type ConnectedContext, type Options } from 'centrifuge';
import { EventSource } from 'eventsource';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';

export type BidiTransport = 'websocket' | 'http_stream' | 'sse';

/** What a proxy that blocks WebSocket looks like to the SDK: every socket fails to open. */
export class DeadWebSocket extends WebSocket {
  static made = 0;
  constructor(_url: string, protocols?: string | string[]) {
    super('ws://127.0.0.1:1/connection/websocket', protocols);
    DeadWebSocket.made++;
  }
}

export interface SeenRequest {
  path: string;
  /** /emulation only (JSON form): the request body, parsed. */
  body?: { session: string; node: string; data: string };
  status?: number;
}

/**
 * fetch and EventSource for the SDK that record every request and can be closed: while blocked
 * (or for a path in `deny`) the request fails as if the network refused it.
 */
export interface HttpGate {
  fetch: typeof fetch;
  EventSource: typeof EventSource;
  requests: SeenRequest[];
  deny: Set<string>;
  block(): void;
  unblock(): void;
  /** The commands the SDK sent through /emulation, parsed (pongs are `{}`). */
  emulated(): Record<string, unknown>[];
}

export function httpGate(): HttpGate {
  let blocked = false;
  const requests: SeenRequest[] = [];
  const deny = new Set<string>();
  const gatedFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    const seen: SeenRequest = { path: url.pathname };
    if (url.pathname === '/emulation' && typeof init?.body === 'string') seen.body = JSON.parse(init.body);
    requests.push(seen);
    if (blocked || deny.has(url.pathname)) throw new TypeError(`fetch failed: ${url.pathname} blocked by the test`);
    const res = await fetch(input, init);
    seen.status = res.status;
    return res;
  };
  class GatedEventSource extends EventSource {
    constructor(url: string | URL, init?: ConstructorParameters<typeof EventSource>[1]) {
      const u = new URL(String(url));
      requests.push({ path: u.pathname });
      super(blocked || deny.has(u.pathname) ? `http://127.0.0.1:1${u.pathname}${u.search}` : u, init);
    }
  }
  return {
    fetch: gatedFetch as typeof fetch,
    EventSource: GatedEventSource,
    requests,
    deny,
    block: () => { blocked = true; },
    unblock: () => { blocked = false; },
    emulated: () => requests.flatMap((r) => (r.body ? r.body.data.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) : [])),
  };
}

/** centrifuge-js endpoints for `transports` on `base` (http://host:port); the websocket one is dead. */
export function endpointsFor(base: string, transports: BidiTransport[]): { transport: BidiTransport; endpoint: string }[] {
  return transports.map((transport) => ({
    transport,
    endpoint: transport === 'websocket' ? base.replace(/^http/, 'ws') + '/connection/websocket' : `${base}/connection/${transport}`,
  }));
}

type CentrifugeCtor = new (endpoint: { transport: BidiTransport; endpoint: string }[], opts: Partial<Options>) => Centrifuge;

/**
 * The official centrifuge client over `transports` (WebSocket always dead), through `gate`, with
 * its emulation POSTs to `emulationBase` (default: the stream's server). Resolves once connected.
 */
export async function connectOver(
  t: { after(fn: () => unknown): void },
  base: string,
  transports: BidiTransport[],
  token: string,
  o: { opts?: Partial<Options>; gate?: HttpGate; emulationBase?: string; ctor?: CentrifugeCtor } = {},
): Promise<{ c: Centrifuge; ctx: ConnectedContext; gate: HttpGate }> {
  const gate = o.gate ?? httpGate();
  const Ctor = o.ctor ?? (Centrifuge as unknown as CentrifugeCtor);
  const c = new Ctor(endpointsFor(base, transports), {
    token,
    websocket: DeadWebSocket,
    eventsource: gate.EventSource,
    fetch: gate.fetch,
    emulationEndpoint: `${o.emulationBase ?? base}/emulation`,
    minReconnectDelay: 50,
    maxReconnectDelay: 300,
    ...o.opts,
  });
  t.after(() => c.disconnect());
  const ctx = await new Promise<ConnectedContext>((resolve, reject) => {
    c.once('connected', resolve);
    c.once('disconnected', (d) => reject(new Error(`disconnected ${d.code} ${d.reason}`)));
    c.connect();
  });
  return { c, ctx, gate };
}

/** What a stream request sends: method, headers, body (text or bytes). */
export interface StreamRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/**
 * A streaming HTTP response read as a plain client would (node:http, like `curl -N`): JSON lines
 * (http_stream, uni_http_stream), server-sent events (sse, uni_sse: every `data:` line parsed), or
 * varint-length-delimited Protobuf frames (kept as raw byte arrays for the caller to decode).
 * Not fetch: undici opens a spare connection when a streamed body is aborted, which a closing
 * server then waits on (see the todo in test/e2e/http-endpoints.test.ts).
 */
export class StreamReader {
  readonly messages: any[] = [];
  readonly frames: Uint8Array[] = [];
  /** Everything received, as text (framing checks). */
  raw = '';
  ended = false;
  status = 0;
  headers = new Headers();
  private req: http.ClientRequest | undefined;
  private bytes = Buffer.alloc(0);
  private text = '';

  private constructor(private readonly format: 'lines' | 'sse' | 'protobuf') {}

  /** Opens the stream; resolves once the status and headers are in (the body keeps coming). */
  static open(url: string, init: StreamRequest, format: 'lines' | 'sse' | 'protobuf', t?: { after(fn: () => unknown): void }): Promise<StreamReader> {
    const r = new StreamReader(format);
    t?.after(() => r.close());
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
        r.status = res.statusCode ?? 0;
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') r.headers.set(k, v);
        const ok = r.status >= 200 && r.status < 300;
        res.on('data', (chunk: Buffer) => (ok ? r.onChunk(chunk) : (r.raw += chunk.toString('utf8'))));
        res.on('close', () => {
          if (!ok) try { r.messages.push(JSON.parse(r.raw)); } catch { /* not JSON */ }
          r.ended = true;
          if (!ok) resolve(r);
        });
        if (ok) resolve(r);
      });
      r.req = req;
      req.on('error', (err) => (r.status ? (r.ended = true) : reject(err)));
      req.end(init.body === undefined ? undefined : Buffer.from(init.body));
    });
  }

  private onChunk(chunk: Buffer): void {
    this.raw += chunk.toString('latin1');
    if (this.format === 'protobuf') {
      this.bytes = Buffer.concat([this.bytes, chunk]);
      for (;;) {
        let len = 0, shift = 0, at = 0;
        for (; at < this.bytes.length; at++) {
          const b = this.bytes[at]!;
          len |= (b & 0x7f) << shift;
          shift += 7;
          if ((b & 0x80) === 0) break;
        }
        if (at >= this.bytes.length || this.bytes.length < at + 1 + len) return;
        this.frames.push(this.bytes.subarray(0, at + 1 + len));
        this.bytes = this.bytes.subarray(at + 1 + len);
      }
    }
    this.text += chunk.toString('utf8');
    const sep = this.format === 'sse' ? '\n\n' : '\n';
    const normalized = this.format === 'sse' ? this.text.replace(/\r\n/g, '\n') : this.text;
    const parts = normalized.split(sep);
    this.text = parts.pop()!;
    for (const part of parts) {
      if (this.format === 'lines') {
        if (part !== '') this.messages.push(JSON.parse(part));
        continue;
      }
      const data = part.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
      for (const d of data) this.messages.push(JSON.parse(d));
    }
  }

  /** The first message matching `pred` (earlier ones count). */
  async waitFor(pred: (m: any) => boolean, what = 'message', timeoutMs = 3000): Promise<any> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.find(pred);
      if (hit) return hit;
      if (this.ended) throw new Error(`stream ended while waiting for ${what}; got ${JSON.stringify(this.messages).slice(0, 600)}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages).slice(0, 600)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async waitEnded(timeoutMs = 3000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > end) throw new Error(`stream still open; got ${JSON.stringify(this.messages).slice(0, 600)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.req?.destroy();
  }
}

/** Opens a JSON http_stream connection by hand: resolves with the reader and the connect reply. */
export async function rawHttpStream(t: { after(fn: () => unknown): void }, base: string, token: string, headers: Record<string, string> = {}): Promise<{ s: StreamReader; connect: any }> {
  const s = await StreamReader.open(`${base}/connection/http_stream`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ id: 1, connect: { token } }),
  }, 'lines', t);
  if (s.status !== 200) throw new Error(`http_stream: ${s.status} ${s.raw}`);
  const r = await s.waitFor((m) => m.id === 1, 'connect reply');
  if (!r.connect) throw new Error(`connect failed: ${JSON.stringify(r)}`);
  return { s, connect: r.connect };
}

/** POST /emulation; `data` is the commands (JSON objects, sent as newline-joined text in a JSON string). */
export async function emulate(base: string, session: string, node: string, commands: object[], headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${base}/emulation`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ session, node, data: commands.map((c) => JSON.stringify(c)).join('\n') }),
  });
  const text = await res.text();
  let body: unknown = text;
  try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  return { status: res.status, body, headers: res.headers };
}

/**
 * A reverse proxy that serves XPUSH under a path prefix (`/xpush/...` → `/...`), streaming both
 * ways, as nginx with `proxy_buffering off` would.
 */
export async function prefixProxy(t: { after(fn: () => unknown): void }, prefix: string, deny: (path: string) => boolean = () => false): Promise<{ url: string; seen: string[]; setUpstream(url: string): void }> {
  let upstream = '';
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    if (!req.url?.startsWith(prefix + '/') || deny(req.url.slice(prefix.length))) return void res.writeHead(404).end();
    const u = new URL(upstream);
    const up = http.request({ host: u.hostname, port: u.port, method: req.method, path: req.url.slice(prefix.length), headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, setUpstream: (url) => { upstream = url; } };
}
