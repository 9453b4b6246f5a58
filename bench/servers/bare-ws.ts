/**
 * The practical limit: a `ws` server that does nothing but fan out. Each published payload becomes one
 * pre-built WebSocket frame (header + bytes, built once), queued on every subscriber; each connection's
 * queue is flushed once per event-loop turn in a single socket write (batched-writes.ts). No auth, no
 * parsing of the payload, no storage. Protocol (text frames): `S<channel>` → `K<channel>`; `P<ack> <channel> <data>`
 * → `<data>` to every subscriber (the publisher too, if subscribed) and `A<ack>` to the publisher.
 *
 * With `--redis <url> --prefix <p>` it runs as one node of a cluster: local subscribers get the frame
 * at once and the payload goes to Redis pub/sub for the other nodes (what @socket.io/redis-adapter does).
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { Redis } from 'ioredis';
import { arg, serve } from './child.ts';
import { enqueue, frame, socketOf, type Peer } from './batched-writes.ts';

interface RoomPeer extends Peer {
  rooms: RoomPeer[][];
}

const rooms = new Map<string, RoomPeer[]>();

function fanout(channel: string, f: Buffer): void {
  const members = rooms.get(channel);
  if (members) for (const p of members) enqueue(p, f);
}

serve(async () => {
  const redisUrl = arg('redis');
  const prefix = arg('prefix') ?? 'bench:';
  const nodeId = randomBytes(8);
  const pub = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1 }) : undefined; // fail fast when Redis is down
  const sub = redisUrl ? new Redis(redisUrl, { maxRetriesPerRequest: 1 }) : undefined; // fail fast when Redis is down
  sub?.on('messageBuffer', (topic: Buffer, msg: Buffer) => {
    if (msg.subarray(0, 8).equals(nodeId)) return; // our own publication, already delivered locally
    fanout(topic.subarray(prefix.length).toString(), frame(msg.subarray(8)));
  });

  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false, skipUTF8Validation: true });
  wss.on('connection', (ws: WebSocket) => {
    const p: RoomPeer = { sock: socketOf(ws), q: [], rooms: [], dead: false };
    ws.on('message', (d: Buffer) => {
      const kind = d[0];
      if (kind === 0x53 /* S */) {
        const ch = d.toString('latin1', 1);
        let members = rooms.get(ch);
        if (!members) {
          rooms.set(ch, (members = []));
          void sub?.subscribe(prefix + ch);
        }
        members.push(p);
        p.rooms.push(members);
        enqueue(p, frame(Buffer.from('K' + ch)));
      } else if (kind === 0x50 /* P */) {
        const s1 = d.indexOf(32);
        const s2 = d.indexOf(32, s1 + 1);
        const ch = d.toString('latin1', s1 + 1, s2);
        const data = d.subarray(s2 + 1);
        fanout(ch, frame(data));
        if (pub) void pub.publish(prefix + ch, Buffer.concat([nodeId, data]));
        enqueue(p, frame(Buffer.concat([Buffer.from('A'), d.subarray(1, s1)])));
      }
    });
    ws.on('close', () => {
      p.dead = true;
      for (const members of p.rooms) {
        const i = members.indexOf(p);
        members[i] = members[members.length - 1];
        members.pop();
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  if (sub) await Promise.all([sub.ping(), pub!.ping()]).catch(() => Promise.reject(new Error(`Redis at ${redisUrl} unreachable`)));
  return {
    port: (server.address() as { port: number }).port,
    async stop() {
      server.closeAllConnections?.();
      wss.close();
      server.close();
      pub?.disconnect();
      sub?.disconnect();
    },
  };
});
