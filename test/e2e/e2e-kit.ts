// Shared bits of the feature tests driven by the official centrifuge client: connecting with the
// connect reply in hand, cutting sockets from either side, waiting.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { Centrifuge, ConnectedContext, PublicationContext } from 'centrifuge';
import WebSocket from 'ws';
import { wrapServer, type TestApp, type TestServer } from '../helpers/server.ts';
import type { XPushServer } from '../../src/index.ts';
import type { ConfigInput } from '../../src/config.ts';
import { api, newCentrifuge, type SdkOptions } from '../helpers/clients.ts';
export { dataOf, ENCODINGS, payload, type Encoding } from '../helpers/clients.ts';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` (sync or async) until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A connection token minted by the app backend (server API) for `user` on `device`. */
export async function tokenFor(ts: TestServer, app: TestApp, user: string, device = 'phone', info?: unknown): Promise<string> {
  const r = await api(ts, app, 'POST', '/tokens', { user, device, ...(info !== undefined ? { info } : {}) });
  if (r.status !== 200) throw new Error(`mint token for ${user}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

/**
 * A ws WebSocket class that remembers its sockets and can be gated: while closed, new sockets
 * point at a port nobody listens on, so the SDK's reconnect attempts fail until the gate opens.
 */
export function gatedWebSocket(): { ctor: typeof WebSocket; sockets: WebSocket[]; block(): void; unblock(): void } {
  const sockets: WebSocket[] = [];
  let blocked = false;
  class Gated extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(blocked ? 'ws://127.0.0.1:1/connection/websocket' : address, protocols);
      sockets.push(this);
    }
  }
  return { ctor: Gated as typeof WebSocket, sockets, block: () => { blocked = true; }, unblock: () => { blocked = false; } };
}

/** The official centrifuge client (the build for `opts.encoding`), connected; resolves with the client and its connect context. */
export async function connectSdk(t: { after(fn: () => unknown): void }, wsUrl: string, token: string, opts: SdkOptions = {}): Promise<{ c: Centrifuge; ctx: ConnectedContext }> {
  const c = newCentrifuge(wsUrl, token, opts, 200);
  t.after(() => c.disconnect());
  const ctx = await new Promise<ConnectedContext>((resolve, reject) => {
    c.once('connected', resolve);
    c.once('disconnected', (d) => reject(new Error(`disconnected ${d.code} ${d.reason}`)));
    c.connect();
  });
  return { c, ctx };
}

/** Remembers the server's TCP sockets so a test can kill connections from the server side. */
export function serverSockets(ts: TestServer): { killAll(): void } {
  const live = new Set<Socket>();
  ts.server.http.server.on('connection', (s: Socket) => {
    live.add(s);
    s.on('close', () => live.delete(s));
  });
  return { killAll: () => { for (const s of live) s.destroy(); } };
}

/** Subscribes `c` to `channel` (resolves once subscribed) with the list its publications land in. */
export async function listen(c: Centrifuge, channel: string): Promise<PublicationContext[]> {
  const got: PublicationContext[] = [];
  const sub = c.newSubscription(channel);
  sub.on('publication', (p) => got.push(p));
  sub.subscribe();
  await sub.ready(3000);
  return got;
}

/** Every `message` push (async message) a centrifuge client receives, in order. */
export function messagesOf(c: Centrifuge): unknown[] {
  const got: unknown[] = [];
  c.on('message', (ctx) => got.push(ctx.data));
  return got;
}

/** A server the test built itself: see wrapServer (test/helpers/server.ts). */
export const startBuilt = wrapServer;

/** Config for a test server built by hand: temp data dir, port 0, quiet. */
export function testConfig(extra: ConfigInput = {}): ConfigInput & { dataDir: string } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-test-'));
  return { host: '127.0.0.1', port: 0, logLevel: 'silent', adminToken: 'test-admin-token', ...extra, dataDir };
}
