/**
 * The write path of the two minimal reference servers (bare-ws.ts and centrifugal-nostore.ts), shared
 * so both batch exactly alike: each payload becomes one pre-built WebSocket frame (header + bytes,
 * built once, shared by every receiver), queued per connection; every connection with something
 * queued is flushed once per event-loop turn in a single socket write.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

export interface Peer {
  sock: Socket;
  q: Buffer[];
  dead: boolean;
}

/** Cut a connection off when this much is waiting in its socket (a slow consumer must not grow memory). */
const MAX_BUFFERED = 16 * 1024 * 1024;

let dirty: Peer[] = [];
let scheduled = false;

/**
 * The raw socket under a `ws` connection. `ws` has no public accessor for it; the references write
 * pre-built frames straight to it (as XPUSH's writer does), so this is the one place that reaches in.
 */
export function socketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

/** An unmasked text frame around `payload`, built once and shared by every receiver. */
export function frame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const f = Buffer.allocUnsafe(head + n);
  f[0] = 0x81;
  if (n < 126) f[1] = n;
  else if (n < 65536) {
    f[1] = 126;
    f.writeUInt16BE(n, 2);
  } else {
    f[1] = 127;
    f.writeUInt32BE(0, 2);
    f.writeUInt32BE(n, 6);
  }
  payload.copy(f, head);
  return f;
}

/** Queues a frame on `p`; it leaves with everything else queued this turn. */
export function enqueue(p: Peer, f: Buffer): void {
  if (p.q.length === 0) dirty.push(p);
  p.q.push(f);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  scheduled = false;
  const list = dirty;
  dirty = [];
  for (const p of list) {
    const q = p.q;
    p.q = [];
    if (p.dead) continue;
    p.sock.write(q.length === 1 ? q[0] : Buffer.concat(q));
    if (p.sock.writableLength > MAX_BUFFERED) {
      p.dead = true;
      p.sock.destroy();
    }
  }
}
