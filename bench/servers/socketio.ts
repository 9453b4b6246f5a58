/**
 * The reference a Node developer would otherwise pick: a plain Socket.IO v4 server with rooms.
 * A connection token (HS256, same claims as XPUSH) is checked once in a middleware, `join` adds the
 * socket to a room, `pub` does `io.to(room).emit('m', data)` and acknowledges. With `--redis <url>`
 * it uses @socket.io/redis-adapter (cluster scenario). No storage: acks mean "fanned out", not "stored".
 */
import http from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import { arg, serve } from './child.ts';

serve(async () => {
  const secret = new TextEncoder().encode(arg('secret') ?? 'bench-secret');
  const redisUrl = arg('redis');
  const server = http.createServer();
  const io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false, httpCompression: false });
  let pub: Redis | undefined, sub: Redis | undefined;
  if (redisUrl) {
    pub = new Redis(redisUrl, { maxRetriesPerRequest: 1 }); // fail fast when Redis is down
    sub = pub.duplicate();
    io.adapter(createAdapter(pub, sub, { key: arg('prefix') ?? 'socket.io' }));
  }
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string') return next(new Error('unauthorized'));
    jwtVerify(token, secret, { algorithms: ['HS256'] }).then(
      ({ payload }) => {
        socket.data.user = payload.sub;
        next();
      },
      () => next(new Error('unauthorized')),
    );
  });
  io.on('connection', (socket) => {
    socket.on('join', (room: string, ack?: () => void) => {
      void socket.join(room);
      if (typeof ack === 'function') ack();
    });
    socket.on('pub', (room: string, data: unknown, ack?: () => void) => {
      io.to(room).emit('m', data);
      if (typeof ack === 'function') ack();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  if (pub) await Promise.all([pub.ping(), sub!.ping()]).catch(() => Promise.reject(new Error(`Redis at ${redisUrl} unreachable`)));
  return {
    port: (server.address() as { port: number }).port,
    async stop() {
      await new Promise<void>((res) => io.close(() => res()));
      pub?.disconnect();
      sub?.disconnect();
    },
  };
});
