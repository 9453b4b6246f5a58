/** Messages between bench/run.ts (via bench/lib/pool.ts) and the load-generator workers. */
import type { ProtoName } from './protocols.ts';

export interface ClientSpec {
  /** Global client id; also its publisher id (`xu`) when it publishes. */
  u: number;
  user: string;
  /** Index into `urls`: which server node this client connects to. */
  node: number;
  subs: string[];
  /** Channel this client publishes to, if it publishes. */
  pub?: string;
  /** Publisher ids whose every message this client must receive (loss/dup/order checks). */
  expect: number[];
  /**
   * Speak the Protobuf encoding (bench/load/protobuf.ts) instead of JSON. Only the `xpush` protocol
   * has one: setup fails for a Protobuf client of another.
   */
  protobuf?: boolean;
}

export type Encoding = 'json' | 'protobuf';

/** What the subscribers of one encoding received, from the start of the run. */
export interface EncodingTally {
  subscribers: number;
  /** Messages received (duplicates included). */
  received: number;
  /** Expected messages not (yet) received. */
  lost: number;
}

export interface SetupCmd {
  cmd: 'setup';
  proto: ProtoName;
  urls: string[];
  /** Sign a connection token per client: HS256 with `secret`, claims {sub: user, app}. */
  auth: { secret: string; app: string } | null;
  clients: ClientSpec[];
  dataBytes: number;
  /** Connections opened at once by this worker. */
  concurrency: number;
}

/**
 * window: one publisher at full speed, credit-based (`credit` messages) so it never outruns the
 *   slowest subscriber by more than a window; rate: every publisher at `rate` msg/s with a random
 *   phase; closed: every publisher keeps `inflight` messages unacknowledged (default 1: it sends its
 *   next message when the previous one is acknowledged), sending one more on each ack.
 */
export interface PublishCmd {
  cmd: 'publish';
  mode: 'window' | 'rate' | 'closed';
  rate?: number;
  /** Closed mode: unacknowledged messages each publisher keeps in flight. Default 1. */
  inflight?: number;
  /**
   * Closed mode: also wait for `credit` messages (set by bench/lib/drive.ts when the phase has a
   * window), so a server that acks before its subscribers have read never queues without bound.
   */
  credit?: boolean;
  /** Expected receivers of each message (all in this worker): measure publish → all received. */
  track?: number;
  /**
   * Check the stored offsets in the acks (one publisher per channel): message k of a publisher must
   * get offset base + k, whatever order the acks arrive in, so none is skipped or repeated.
   */
  checkOffsets?: boolean;
}

export type WorkerCmd =
  | SetupCmd
  | PublishCmd
  | { cmd: 'credit'; upTo: number }
  | { cmd: 'mark'; measuring: boolean }
  | { cmd: 'stop' }
  /** Wait for every expected message and ack; give up after `timeoutMs` without progress. */
  | { cmd: 'drain'; finals: [number, number][]; timeoutMs: number }
  | { cmd: 'close' };

export interface MarkReply {
  t: number;
  delivered: number;
  published: number;
  acked: number;
  /** Closed mode with credit: acks after which the next publish had to wait for the subscribers. */
  held: number;
  /** Subscribers' TCP reads, WebSocket frames and bytes (with WebSocket headers) received. */
  reads: number;
  frames: number;
  bytesIn: number;
}

export interface DrainReply {
  lost: number;
  dup: number;
  ooo: number;
  unacked: number;
  offsetErrors: number;
  failures: number;
  reasons: string[];
  /** Sampled per-delivery latencies (ms) during the measured window. */
  lat: number[];
  /** publish → every member received (ms), when `track` was set. */
  done: number[];
  /** publish → acknowledgement (ms), closed mode, sampled during the measured window. */
  ack: number[];
  /** The subscribers of each encoding, from the start of the run. */
  byEncoding: Record<Encoding, EncodingTally>;
}
