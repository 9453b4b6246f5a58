import type { ServerResponse } from 'node:http';
import type { Disconnect } from '../../disconnect.ts';
import { Push } from '../../protocol/frames.ts';
import { OutFrame, type WireKind } from '../out-frame.ts';
import type { Encoding, Transport, TransportName } from '../transport.ts';

/** Headers every streaming response carries: never cached, never buffered by a proxy (nginx honours X-Accel-Buffering). */
export const STREAM_HEADERS: Record<string, string> = {
  'cache-control': 'private, no-cache, no-store, must-revalidate, max-age=0',
  pragma: 'no-cache',
  expires: '0',
  'x-accel-buffering': 'no',
};

const KIND: Record<TransportName, Record<Encoding, WireKind>> = {
  websocket: { json: 'ws-text', protobuf: 'ws-binary' },
  http_stream: { json: 'stream-json', protobuf: 'stream-pb' },
  sse: { json: 'sse', protobuf: 'sse' },
  uni_http_stream: { json: 'uni-stream', protobuf: 'uni-stream' },
  uni_sse: { json: 'uni-sse', protobuf: 'uni-sse' },
};

/**
 * The HTTP transports: one long response the server writes to. The bidirectional ones (http_stream,
 * sse) take the client's later commands through POST /emulation; the unidirectional ones (uni_sse,
 * uni_http_stream) take none. The response is written to as frames arrive; a disconnect is a
 * disconnect push followed by the end of the response.
 */
export class HttpStreamTransport implements Transport {
  readonly emulation: boolean;
  readonly bidirectional: boolean;
  private readonly kind: WireKind;
  private ended = false;

  constructor(readonly name: Exclude<TransportName, 'websocket'>, readonly encoding: Encoding, private readonly res: ServerResponse) {
    this.emulation = name === 'http_stream' || name === 'sse';
    this.bidirectional = this.emulation;
    this.kind = KIND[name][encoding];
  }

  bufferedAmount(): number {
    return this.res.writableLength;
  }

  writable(): boolean {
    return !this.ended && !this.res.destroyed && this.res.writable;
  }

  write(frames: OutFrame | OutFrame[]): void {
    if (!Array.isArray(frames)) this.res.write(frames.wire(this.kind));
    else this.res.write(Buffer.concat(frames.map((f) => f.wire(this.kind))));
  }

  close(d: Disconnect): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.res.destroyed && this.res.writable) {
      this.res.end(OutFrame.reply(Push.disconnect(d.code, d.reason, d.reconnect)).wire(this.kind));
    }
  }

  /** The peer went away: nothing more to write. */
  gone(): void {
    this.ended = true;
  }
}
