// Shared bits of the SDK end-to-end tests: users, clients that record what they receive, waiting.
import type { TestContext } from 'node:test';
import WebSocket from 'ws';
import { XPush, type Message, type XPushOptions } from '../../src/client/index.ts';
import type { TestApp, TestServer } from '../helpers/server.ts';
import { sleep, waitFor as baseWaitFor } from './e2e-kit.ts';

export const PASSWORD = 'correct-horse-battery';

/** A ws WebSocket that remembers its instances, so a test can cut a live socket. */
export function trackedWebSocket(): { ctor: typeof WebSocket; sockets: WebSocket[] } {
  const sockets: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      sockets.push(this);
    }
  }
  return { ctor: Tracked as typeof WebSocket, sockets };
}

export interface Recorder {
  xp: XPush;
  messages: Message[];
  events: { name: string; args: unknown[] }[];
}

/** An XPush client (not logged in) that records messages and other events; disconnected at test end. */
export function client(t: TestContext, srv: TestServer, app: TestApp, extra: Partial<XPushOptions> = {}): Recorder {
  const xp = new XPush({ url: srv.url, app: app.id, appKey: app.key, websocket: WebSocket, ...extra });
  const messages: Message[] = [];
  const events: { name: string; args: unknown[] }[] = [];
  xp.on('message', (channel, event, data, meta) => messages.push({ channel, event, data, meta }));
  for (const name of ['read', 'connected', 'disconnected', 'join', 'leave', 'subscribed', 'unsubscribed', 'member.added', 'member.removed', 'push', 'tokens', 'error'] as const) {
    xp.on(name, (...args: unknown[]) => events.push({ name, args }));
  }
  t.after(() => xp.disconnect());
  return { xp, messages, events };
}

/** Registers a user and returns a connected client for one of their devices. */
export async function loggedIn(t: TestContext, srv: TestServer, app: TestApp, user: string, device: string, extra: Partial<XPushOptions> = {}): Promise<Recorder> {
  const r = client(t, srv, app, extra);
  try {
    await r.xp.register(user, PASSWORD);
  } catch (err) {
    if ((err as { status?: number }).status !== 409) throw err; // registered by an earlier device
  }
  await r.xp.login(user, PASSWORD, device);
  await r.xp.connect();
  return r;
}

/** e2e-kit's waitFor with the longer default the SDK's reconnect tests need. */
export function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  return baseWaitFor(what, fn, timeoutMs);
}

export { sleep };

export function offsetsOf(messages: Message[], channel: string): number[] {
  return messages.filter((m) => m.channel === channel).map((m) => m.meta.offset);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
