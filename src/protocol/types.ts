/**
 * Centrifugal bidirectional protocol v2, JSON encoding (client.proto of centrifugal/protocol).
 * Only the fields XPUSH reads or writes. `bytes` fields (data, conn_info, chan_info) are embedded
 * JSON values in the JSON encoding.
 */

// Publications and client info are declared once, as schemas, with the results (results.ts).
import type { Publication } from './results.ts';
export type { ClientInfo, Publication } from './results.ts';

export interface StreamPosition {
  offset: number;
  epoch: string;
}

export interface ConnectRequest {
  token?: string;
  data?: unknown;
  subs?: Record<string, SubscribeRequest>;
  name?: string;
  version?: string;
}
export interface SubscribeRequest {
  channel?: string;
  token?: string;
  recover?: boolean;
  epoch?: string;
  offset?: number;
  data?: unknown;
  positioned?: boolean;
  recoverable?: boolean;
  join_leave?: boolean;
}
export interface PublishRequest { channel: string; data: unknown }
export interface UnsubscribeRequest { channel: string }
export interface PresenceRequest { channel: string }
export interface PresenceStatsRequest { channel: string }
export interface HistoryRequest { channel: string; limit?: number; since?: StreamPosition; reverse?: boolean }
export interface RPCRequest { method?: string; data?: unknown }
export interface SendRequest { data?: unknown }
export interface RefreshRequest { token: string }
export interface SubRefreshRequest { channel: string; token: string }

/** One command: `id` plus exactly one request field. */
export interface Command {
  id?: number;
  connect?: ConnectRequest;
  subscribe?: SubscribeRequest;
  unsubscribe?: UnsubscribeRequest;
  publish?: PublishRequest;
  presence?: PresenceRequest;
  presence_stats?: PresenceStatsRequest;
  history?: HistoryRequest;
  rpc?: RPCRequest;
  send?: SendRequest;
  refresh?: RefreshRequest;
  sub_refresh?: SubRefreshRequest;
}

export const COMMAND_NAMES = [
  'connect', 'subscribe', 'unsubscribe', 'publish', 'presence', 'presence_stats', 'history', 'rpc', 'send', 'refresh', 'sub_refresh',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface ReplyError { code: number; message: string; temporary?: boolean }

export interface SubscribeResult {
  expires?: boolean;
  ttl?: number;
  recoverable?: boolean;
  epoch?: string;
  publications?: Publication[];
  recovered?: boolean;
  offset?: number;
  positioned?: boolean;
  data?: unknown;
  was_recovering?: boolean;
}

export interface ConnectResult {
  client: string;
  version: string;
  expires?: boolean;
  ttl?: number;
  data?: unknown;
  subs?: Record<string, SubscribeResult>;
  ping?: number;
  pong?: boolean;
  session?: string;
  node?: string;
}
