import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Disconnect } from '../../disconnect.ts';
import type { OutFrame, WireKind } from '../out-frame.ts';
import type { Encoding, Transport } from '../transport.ts';

/**
 * WebSocket (RFC 6455). JSON goes out as text frames (the SDKs cannot read binary frames in JSON
 * mode), Protobuf as binary frames. Without permessage-deflate, frames are pre-built once per
 * OutFrame and written straight to the TCP socket `ws` upgraded — the socket handed to us by
 * `handleUpgrade`, so no private field of `ws` is touched — in one write per turn. With deflate,
 * `ws` must compress per connection, so frames go through `ws.send`.
 */
export class WebSocketTransport implements Transport {
  constructor(
    private readonly ws: WebSocket,
    /** The upgraded TCP socket for raw writes; undefined when ws must frame (permessage-deflate). */
    private readonly socket: Socket | undefined,
    readonly encoding: Encoding,
  ) {}

  // Constants live on the prototype, not in each of the (many) connections.
  get name(): 'websocket' {
    return 'websocket';
  }

  get emulation(): boolean {
    return false;
  }

  get bidirectional(): boolean {
    return true;
  }

  private get kind(): WireKind {
    return this.encoding === 'json' ? 'ws-text' : 'ws-binary';
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  writable(): boolean {
    return this.ws.readyState === 1;
  }

  write(frames: OutFrame | OutFrame[]): void {
    if (this.socket) {
      if (!Array.isArray(frames)) this.socket.write(frames.wire(this.kind));
      else {
        const parts = new Array<Buffer>(frames.length);
        for (let i = 0; i < frames.length; i++) parts[i] = frames[i]!.wire(this.kind);
        this.socket.write(Buffer.concat(parts));
      }
      return;
    }
    const binary = this.encoding === 'protobuf';
    for (const f of Array.isArray(frames) ? frames : [frames]) this.ws.send(binary ? f.pb : f.json, { binary });
  }

  close(d: Disconnect): void {
    try {
      this.ws.close(d.code, d.reason);
    } catch {
      this.ws.terminate();
    }
  }
}
