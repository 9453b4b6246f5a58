import type { Actor } from '../hooks.ts';
import type { ChannelContext } from './context.ts';
import type { OutFrame } from './out-frame.ts';
import type { Encoding, TransportName } from './transport.ts';
import type { HubClient } from './hub.ts';
import type { AppLimits } from '../protocol/app-settings.ts';

export interface Sub {
  channel: string;
  joinLeave: boolean;
  /** Subscribed by the server (auto_subscribe), not by a client subscribe command. */
  serverSide: boolean;
  /** Reserved by a subscribe command that has not answered yet. */
  pending: boolean;
}

/** Who a connection is, set once by a successful connect. */
export interface Identity {
  app: string;
  user: string;
  device: string;
  /** Device session (login); undefined for tokens minted by the app's backend. */
  session: string | undefined;
  info: unknown;
  /** Token expiry, ms since epoch. */
  expiresAt: number;
  autoSubscribe: boolean;
  /** The app's limits at connect time (docs/limits.md). */
  limits: AppLimits;
}

/**
 * What a command may see and do of the connection it runs on (implemented by channel/client.ts).
 * Commands change the connection only through these methods, never by writing its fields.
 */
export interface Conn extends HubClient {
  readonly id: string;
  readonly ctx: ChannelContext;
  readonly app: string;
  readonly user: string;
  readonly device: string;
  readonly session: string | undefined;
  readonly info: unknown;
  readonly actor: Actor;
  /** The client's IP address (X-Forwarded-For honoured per config.trustProxy); '' when unknown. */
  readonly ip: string;
  /** The app's limits, read at connect (config defaults before). */
  readonly limits: AppLimits;
  readonly closed: boolean;
  readonly transport: { readonly name: TransportName; readonly encoding: Encoding; readonly emulation: boolean; readonly bidirectional: boolean };
  /** Emulation session id (HTTP-streaming transports), announced in the connect reply. */
  readonly emulationSession: string | undefined;
  readonly subs: ReadonlyMap<string, Sub>;
  /** Client-side subscriptions, answered or reserved (the per-connection channel limit counts these). */
  clientSubscriptions(): number;
  push(frame: OutFrame): void;
  /** Connect succeeded: the connection is this identity from now on. */
  authenticate(id: Identity): void;
  /** A refreshed token extends the connection. */
  extend(expiresAt: number): void;
  setSub(sub: Sub): void;
  deleteSub(channel: string): void;
  /**
   * Runs `stage` after the stages of this connection's earlier calls have finished (not their
   * results): publishes of one connection enter the store queue in the order they were sent.
   */
  inOrder<T>(stage: () => Promise<T>): Promise<T>;
  /** True when no stage of an earlier call is still running: one that needs no wait may then go at once, in order. */
  inOrderIdle(): boolean;
}
