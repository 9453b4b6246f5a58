/**
 * "A Centrifugal server that does not store" (issue 13's fourth column): the least a server can do
 * and still speak Centrifugal protocol v2 JSON the way XPUSH does — connect with an HS256 token
 * (checked as the Socket.IO reference checks it: jose, claims {sub}), subscribe, unsubscribe,
 * publish — while keeping nothing but an offset counter per channel in memory.
 *
 * A publication is what Centrifugo sends for a client-side publish into a channel with in-memory
 * history: `{"push":{"channel":…,"pub":{"data":…,"info":{"user":…,"client":…},"offset":N}}}`. It is
 * encoded and framed once and queued to every subscriber; the publish is answered at once with the
 * protocol's empty PublishResult (`{"id":N,"publish":{}}`), in the same flush. The write path is
 * batched-writes.ts, the same as bare ws: one frame per publication, one socket write per
 * connection per event-loop turn.
 *
 * Not here (on purpose): storage, history, recovery, presence, join/leave, server pings, refresh,
 * channel permissions (every channel is open), clustering.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { jwtVerify } from 'jose';
import { arg, serve } from './child.ts';
import { enqueue, frame, socketOf, type Peer } from './batched-writes.ts';

interface Channel {
  /** The channel name as JSON, encoded once. */
  nameJson: string;
  offset: number;
  members: Conn[];
}

interface Conn extends Peer {
  ws: WebSocket;
  client: string;
  /** `{"user":…,"client":…}`, set by connect; undefined before. */
  infoJson: string | undefined;
  channels: Map<string, Channel>;
  /** Lines that arrived while the connect token was being verified: handled after it, in order. */
  held: string[] | undefined;
}

type Command = { id?: number; connect?: { token?: unknown }; subscribe?: { channel?: unknown }; unsubscribe?: { channel?: unknown }; publish?: { channel?: unknown; data?: unknown } };

const channels = new Map<string, Channel>();
let secret: Uint8Array;

function reply(c: Conn, text: string): void {
  enqueue(c, frame(Buffer.from(text)));
}

function replyError(c: Conn, id: number | undefined, code: number, message: string): void {
  reply(c, JSON.stringify({ id, error: { code, message } }));
}

function onFrame(c: Conn, data: Buffer): void {
  const lines = data.toString().split('\n');
  for (const line of lines) {
    if (c.dead) return;
    if (line === '') continue;
    if (c.held) c.held.push(line);
    else handle(c, line);
  }
}

function handle(c: Conn, line: string): void {
  let cmd: Command;
  try {
    cmd = JSON.parse(line) as Command;
  } catch {
    return close(c, 3501, 'bad request');
  }
  if (cmd === null || typeof cmd !== 'object') return close(c, 3501, 'bad request');
  const id = cmd.id;
  if (cmd.connect) return connect(c, id, cmd.connect.token);
  if (id === undefined) return; // a pong (`{}`): this server sends no pings, nothing to do
  if (!c.infoJson) return close(c, 3501, 'bad request: connect first');
  if (cmd.publish) return publish(c, id, cmd.publish);
  if (cmd.subscribe) return subscribe(c, id, cmd.subscribe.channel);
  if (cmd.unsubscribe) {
    if (typeof cmd.unsubscribe.channel === 'string') leave(c, cmd.unsubscribe.channel);
    return reply(c, `{"id":${id},"unsubscribe":{}}`);
  }
  replyError(c, id, 104, 'method not found');
}

function connect(c: Conn, id: number | undefined, token: unknown): void {
  if (c.infoJson) return replyError(c, id, 107, 'already connected');
  if (typeof token !== 'string') return close(c, 3500, 'invalid token');
  c.held = [];
  jwtVerify(token, secret, { algorithms: ['HS256'] }).then(
    ({ payload }) => {
      if (c.dead) return;
      if (typeof payload.sub !== 'string') return close(c, 3500, 'invalid token');
      c.infoJson = `{"user":${JSON.stringify(payload.sub)},"client":"${c.client}"}`;
      reply(c, `{"id":${id},"connect":{"client":"${c.client}","version":"bench-nostore"}}`);
      const held = c.held!;
      c.held = undefined;
      for (const line of held) if (!c.dead) handle(c, line);
    },
    () => close(c, 3500, 'invalid token'),
  );
}

function subscribe(c: Conn, id: number, name: unknown): void {
  if (typeof name !== 'string' || name === '') return replyError(c, id, 107, 'subscribe.channel is required');
  if (c.channels.has(name)) return replyError(c, id, 105, 'already subscribed');
  const ch = channelOf(name);
  ch.members.push(c);
  c.channels.set(name, ch);
  reply(c, `{"id":${id},"subscribe":{}}`);
}

function publish(c: Conn, id: number, body: { channel?: unknown; data?: unknown }): void {
  if (typeof body.channel !== 'string' || body.channel === '') return replyError(c, id, 107, 'publish.channel is required');
  if (!('data' in body)) return replyError(c, id, 107, 'publish.data is required');
  const ch = channelOf(body.channel);
  const offset = ++ch.offset;
  const f = frame(Buffer.from(`{"push":{"channel":${ch.nameJson},"pub":{"data":${JSON.stringify(body.data)},"info":${c.infoJson},"offset":${offset}}}}`));
  for (const m of ch.members) enqueue(m, f);
  reply(c, `{"id":${id},"publish":{}}`);
}

function channelOf(name: string): Channel {
  let ch = channels.get(name);
  if (!ch) channels.set(name, (ch = { nameJson: JSON.stringify(name), offset: 0, members: [] }));
  return ch;
}

function leave(c: Conn, name: string): void {
  const ch = c.channels.get(name);
  if (!ch) return;
  c.channels.delete(name);
  const i = ch.members.indexOf(c);
  ch.members[i] = ch.members[ch.members.length - 1]!;
  ch.members.pop();
}

function close(c: Conn, code: number, reason: string): void {
  c.ws.close(code, reason);
}

serve(async () => {
  secret = new TextEncoder().encode(arg('secret') ?? 'bench-secret');
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false, maxPayload: 64 * 1024 });
  wss.on('connection', (ws: WebSocket) => {
    const c: Conn = { ws, sock: socketOf(ws), q: [], dead: false, client: randomUUID(), infoJson: undefined, channels: new Map(), held: undefined };
    ws.on('message', (d: Buffer) => onFrame(c, d));
    ws.on('close', () => {
      c.dead = true;
      for (const name of [...c.channels.keys()]) leave(c, name);
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as { port: number }).port,
    async stop() {
      server.closeAllConnections?.();
      wss.close();
      server.close();
    },
  };
});
