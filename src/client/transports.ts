import type { TransportEndpoint } from 'centrifuge';

/** The transports the SDK tries, in order: WebSocket, then HTTP streaming, then SSE. */
export type TransportName = 'websocket' | 'http_stream' | 'sse';
export const DEFAULT_TRANSPORTS: TransportName[] = ['websocket', 'http_stream', 'sse'];

type Ctor = new (url: string, arg?: any) => unknown;

/**
 * What centrifuge needs to reach the user's channel server over each transport, routed per
 * connection attempt: centrifuge fixes its endpoints at construction, so the WebSocket and
 * EventSource constructors and the fetch handed to it open the URL resolved for the current
 * attempt (`current()`, a ws(s) URL) instead — a reconnect may land on another node. The emulation
 * POSTs of HTTP streaming/SSE go to the same node as their stream (any node would forward them).
 */
export function routedTransports(o: {
  transports: TransportName[];
  sessionUrl: string;
  current: () => string;
  websocket: Ctor | undefined;
  eventsource: Ctor | undefined;
  fetch: typeof fetch;
}): { endpoints: TransportEndpoint[]; websocket?: Ctor; eventsource?: Ctor; fetch: typeof fetch; emulationEndpoint: string } {
  const origin = new URL(o.sessionUrl).origin;
  // The node's HTTP base: its ws(s) URL without the trailing /connection/websocket. What precedes
  // that (a reverse proxy's path prefix, `wss://host/xpush/connection/websocket`) prefixes the HTTP
  // endpoints too.
  const nodeBase = (): string => {
    const u = new URL(o.current() || origin);
    const prefix = u.pathname.replace(/\/connection\/websocket\/?$/, '').replace(/\/+$/, '');
    return `${u.protocol === 'wss:' || u.protocol === 'https:' ? 'https:' : 'http:'}//${u.host}${prefix}`;
  };
  const route = (url: string): string => {
    const u = new URL(url);
    if (u.origin !== origin || !(u.pathname.startsWith('/connection/') || u.pathname === '/emulation')) return url;
    return nodeBase() + u.pathname + u.search;
  };
  const ws = o.websocket;
  const es = o.eventsource;
  const endpoints: TransportEndpoint[] = [];
  for (const t of o.transports) {
    if (t === 'websocket' && !ws) continue; // Node without `ws`: skip to the HTTP transports
    if (t === 'sse' && !es) continue;
    endpoints.push({ transport: t, endpoint: t === 'websocket' ? toWs(origin) + '/connection/websocket' : `${origin}/connection/${t}` });
  }
  if (endpoints.length === 0) throw new TypeError('XPush: no usable transport; pass options.websocket (and/or options.eventsource)');
  function RoutedWebSocket(_url: string, protocols?: string | string[]) {
    return protocols === undefined ? new ws!(o.current()) : new ws!(o.current(), protocols);
  }
  function RoutedEventSource(url: string, init?: unknown) {
    return new es!(route(url), init);
  }
  const routedFetch = ((input: RequestInfo | URL, init?: RequestInit) =>
    o.fetch(typeof input === 'string' || input instanceof URL ? route(String(input)) : input, init)) as typeof fetch;
  return {
    endpoints,
    websocket: ws ? (RoutedWebSocket as unknown as Ctor) : undefined,
    eventsource: es ? (RoutedEventSource as unknown as Ctor) : undefined,
    fetch: routedFetch,
    emulationEndpoint: `${origin}/emulation`,
  };
}

function toWs(origin: string): string {
  return origin.replace(/^http/, 'ws');
}
