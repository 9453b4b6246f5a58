/** Public types of the XPush SDK. Pure types: safe for the browser bundle. */
import type { PublishAck, ChannelView, ChannelEntry, UnreadEntry, UserView, UserPage, GroupSummary, DeviceView } from '../protocol/types.generated.ts';

/** The wire results, declared once in protocol/results.ts. */
export type { ChannelView, ChannelEntry, UserPage, GroupSummary };
/** The ack of a stored message. */
export type SendResult = PublishAck;
export type UnreadCount = UnreadEntry;
export type UserEntry = UserView;
/** One logged-in device of the user: `{device, session, pushToken, createdAt, online}`. */
export type DeviceInfo = DeviceView;

export interface XPushOptions {
  /** Session server base URL, `http(s)://host:port` (register, login, node lookup). */
  url: string;
  /** App id. */
  app: string;
  /** Public app key (`X-App-Key`); needed for register, login and refresh. */
  appKey?: string;
  /** WebSocket constructor. Default `globalThis.WebSocket`; pass `ws`'s WebSocket on Node 20. */
  websocket?: unknown;
  /**
   * Transports to try, in order, when connecting for the first time; after one worked, reconnects keep it.
   * Default `['websocket', 'http_stream', 'sse']`: behind a proxy that blocks WebSocket the SDK falls back to
   * HTTP streaming, then SSE, by itself.
   */
  transports?: ('websocket' | 'http_stream' | 'sse')[];
  /** EventSource constructor for the SSE transport. Default `globalThis.EventSource`; on Node 20 pass the `eventsource` package's. */
  eventsource?: unknown;
  /** Fixed channel server URL (`ws(s)://…/connection/websocket`). Default: asked from the session server. */
  wsUrl?: string;
  /** fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Timeout of each command and connection attempt, ms. Default 5000. */
  timeoutMs?: number;
  /** Reconnect backoff bounds, ms. Defaults 500 and 20000 (centrifuge's). */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Times `send` retries after a network error or a temporary error (same message id, so no duplicate). Default 3. */
  sendRetries?: number;
  /** Most publications fetched from history to close one gap the server could not recover. Default 10000. */
  maxCatchUp?: number;
  /** Client name sent on connect. Default `xpush-js`. */
  name?: string;
}

/** Where a message sits in its channel and who sent it. */
export interface MessageMeta {
  offset: number;
  /** Message id (client-chosen or server-generated); publishing the same id twice stores one message. */
  id?: string;
  user?: string;
  device?: string;
  client?: string;
  /** Server time, ms since epoch. */
  time?: number;
  epoch?: string;
}

export interface Message {
  channel: string;
  event: string;
  data: unknown;
  meta: MessageMeta;
}

/** One connection of a user, as shown in presence and join/leave. */
export interface Actor {
  user: string;
  device?: string;
  client: string;
}

export interface ConnectedInfo {
  client: string;
  user?: string;
  device?: string;
  node?: string;
  /** Unread count per channel at connect time. */
  unread: Record<string, number>;
}

export interface DisconnectedInfo {
  code: number;
  reason: string;
  /** True when the SDK reconnects by itself (it resumes every channel without loss). */
  reconnecting: boolean;
}

export interface ReadInfo {
  readOffset: number;
  unread: number;
}




export interface HistoryPage {
  /** Ascending by offset with `after`; newest first without it (the server's order). */
  messages: Message[];
  /** The channel's newest offset. */
  offset: number;
  epoch: string;
}


export interface Tokens {
  accessToken: string;
  refreshToken?: string;
  /** Access token expiry, ms since epoch (0 = unknown). */
  expiresAt: number;
  user: string;
  device?: string;
  session?: string;
}

export interface XPushEvents {
  message: (channel: string, event: string, data: unknown, meta: MessageMeta) => void;
  read: (channel: string, info: ReadInfo) => void;
  connected: (info: ConnectedInfo) => void;
  disconnected: (info: DisconnectedInfo) => void;
  join: (channel: string, who: Actor) => void;
  leave: (channel: string, who: Actor) => void;
  /** A channel this connection now receives (at connect, or after the user was added). */
  subscribed: (channel: string, position: { offset: number; epoch: string; recovered: boolean }) => void;
  /** The user was removed from the channel (or it was deleted). */
  unsubscribed: (channel: string) => void;
  'member.added': (channel: string) => void;
  'member.removed': (channel: string) => void;
  /** Any other async message from the server (custom pushes). */
  push: (data: unknown) => void;
  /** Tokens changed (login, refresh): persist them to resume a session later with `useTokens`. */
  tokens: (tokens: Tokens) => void;
  /** Bytes of a `sendFile` upload sent so far (`total` is absent for a stream of unknown size). */
  'upload.progress': (channel: string, progress: { loaded: number; total?: number }) => void;
  /** Diagnostics: transport errors, failed catch-up, exceptions thrown by your listeners. */
  error: (err: Error) => void;
}
