import type { Disconnect } from '../disconnect.ts';
import type { OutFrame } from './out-frame.ts';

/** How a connection reaches us (docs/protocol.md "Transports"). */
export type TransportName = 'websocket' | 'http_stream' | 'sse' | 'uni_sse' | 'uni_http_stream';
export type Encoding = 'json' | 'protobuf';

/**
 * The byte pipe under one client connection. The client and its writer never know which one it is:
 * the writer hands each turn's frames to `write`, and the transport picks their wire form
 * (`OutFrame.wire(kind)`) — a WebSocket frame, a line of an HTTP stream, a server-sent event.
 */
export interface Transport {
  readonly name: TransportName;
  readonly encoding: Encoding;
  /** True for the HTTP emulation transports: the connect reply carries `session` and `node`. */
  readonly emulation: boolean;
  /**
   * False for the unidirectional transports (uni_sse, uni_http_stream): the client sends nothing
   * after connecting, receives bare pushes (no reply envelope) and is pinged without a pong.
   */
  readonly bidirectional: boolean;
  /** Bytes accepted but not yet handed to the network (the slow-consumer measure). */
  bufferedAmount(): number;
  /** False once the peer is gone or the transport was closed. */
  writable(): boolean;
  /** Writes one turn's frames in order, in one write where the transport can (a lone frame comes bare: no array). */
  write(frames: OutFrame | OutFrame[]): void;
  /** Ends the connection: a close frame with the code (WebSocket), or a disconnect push then end of stream (HTTP). */
  close(d: Disconnect): void;
}
