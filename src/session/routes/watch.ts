import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Core } from '../../domain/context.ts';
import type { Hub, HubClient } from '../../channel/hub.ts';
import type { OutFrame } from '../../channel/out-frame.ts';
import type { Disconnect } from '../../disconnect.ts';
import { STREAM_HEADERS } from '../../channel/transports/http-stream.ts';
import { requireApiKey } from '../guards.ts';
import { AppId, ChannelName } from '../../protocol/schemas.ts';
import { publicationOf } from '../../domain/publication.ts';
import { Errors } from '../../errors.ts';
import { WatchEvent } from '../../protocol/http.ts';

/**
 * The watch streams' limits, read when used. Tests shorten them (and restore them); nothing else
 * writes them.
 */
export const watchLimits = {
  /** Watch streams one process serves at once (each holds a broker subscription and a socket). */
  maxWatchers: 64,
  /** A stream ends after this long; the watcher reconnects with `after` and misses nothing. */
  maxMs: 10 * 60_000,
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: 15_000,
  /** Publications sent from the store when `after` is behind the top; older ones are skipped (`ready.skipped`). */
  backlog: 500,
  /** A reader this far behind is cut off instead of growing the server's memory. */
  maxBufferedBytes: 1 << 20,
};

/**
 * A read-only follower of one channel for operators (the admin console's live inspector): receives
 * the channel's publications through the hub like a subscriber, without being a user, a member or a
 * connection. It never publishes, is never in presence and is not listed among connections. Its
 * authority is the app secret, which already reads any channel's history: nothing new is exposed.
 */
class Watcher implements HubClient {
  readonly id = 'watch-' + randomUUID();
  readonly user = '';
  readonly device = '';
  readonly info = undefined;
  readonly session = undefined;
  ended = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(readonly app: string, readonly channel: string, private readonly res: ServerResponse, private readonly onEnd: (w: Watcher) => void) {
    const beat = setInterval(() => this.write(': ping\n\n'), watchLimits.heartbeatMs);
    const limit = setTimeout(() => this.end('time limit: reconnect with after=<last offset>'), watchLimits.maxMs);
    beat.unref();
    limit.unref();
    this.timers.push(beat, limit);
    res.on('close', () => this.end('closed by the reader'));
  }

  channels(): Iterable<string> {
    return [this.channel];
  }

  /** The hub's fan-out frame: the same `data: {channel, pub}` events a uni_sse subscriber gets, encoded once. */
  push(frame: OutFrame): void {
    this.write(frame.wire('uni-sse'));
  }

  event(name: string, data: unknown): void {
    this.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  close(d: Disconnect): void {
    this.end(d.reason);
  }

  onMemberAdded(): void {}

  /** On a channel topic this means the channel was deleted. */
  onAccessLost(): void {
    this.end('channel deleted');
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) clearTimeout(t);
    // Written past the buffer limit on purpose: a slow reader gets it after what it has not read yet.
    if (!this.res.destroyed) this.res.end(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.onEnd(this);
  }

  private write(chunk: string | Buffer): void {
    if (this.ended) return;
    if (this.res.writableLength > watchLimits.maxBufferedBytes) return this.end('slow reader');
    this.res.write(chunk);
  }
}

export interface Watchers {
  /** Ends every stream of an app (it was deleted). */
  closeApp(app: string): void;
  readonly size: number;
}

/**
 * `GET /v1/apps/:app/channels/:channel/watch?after=N` (app secret): a server-sent-events stream of
 * the channel's publications as they are stored, for the admin console. First the publications after
 * `after` (from the store, at most watchLimits.backlog), then `event: ready` with the channel's position,
 * then every new publication as `data: {"channel", "pub"}` (the uni_sse push shape), in offset order,
 * once. Ends with `event: end {reason}` (channel or app deleted, time limit, server shutdown).
 */
export function watchRoutes(http: FastifyInstance, core: Core, hub: Hub): Watchers {
  const live = new Set<Watcher>();
  const forget = (w: Watcher): void => {
    live.delete(w);
    hub.unsubscribe(w, w.app, w.channel);
  };
  http.addHook('preClose', async () => {
    for (const w of [...live]) w.end('server shutting down');
  });
  http.get('/v1/apps/:app/channels/:channel/watch', {
    schema: {
      security: [{ apiKey: [] }], tags: ['server'],
      summary: "Server-sent events: a channel's publications as they are stored (backlog after `after`, then `ready`, then live)",
      params: Type.Object({ app: AppId, channel: ChannelName }),
      response: { 200: { description: 'The event stream (events `message`, `ready`, `end`), open until the channel goes or the time limit', content: { 'text/event-stream': { schema: WatchEvent } } } },
      querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
    },
  }, async (req, reply) => {
    const { app, channel } = req.params as { app: string; channel: string };
    await requireApiKey(core, req, app);
    await core.channels.require(app, channel);
    if (live.size >= watchLimits.maxWatchers) throw Errors.tooManyRequests.with(`at most ${watchLimits.maxWatchers} watch streams at once on this server`);
    const after = (req.query as { after?: number }).after;
    reply.hijack();
    const res = reply.raw;
    // `connection: close`: when the stream ends the socket goes too, instead of idling in keep-alive
    // (a server shutting down would wait for it).
    res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), ...STREAM_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'close' });
    res.write(': watching\n\n');
    const w = new Watcher(app, channel, res, forget);
    live.add(w);
    try {
      // Listen first, then read the position: what is published in between is held by the hub and
      // released past `top` (the same order as a client's subscribe).
      await hub.beginSubscribe(w, app, channel);
      const ch = await core.store.channels.get(app, channel);
      if (!ch) return w.end('channel deleted');
      const top = ch.topOffset;
      let skipped = 0;
      if (after !== undefined && after < top) {
        const from = Math.max(after, top - watchLimits.backlog);
        skipped = from - after;
        for (const m of await core.store.messages.range(app, channel, { after: from, limit: top - from })) {
          w.event('message', { channel, pub: publicationOf(m) });
        }
      }
      if (w.ended) return hub.abortSubscribe(w, app, channel); // the reader left meanwhile
      w.event('ready', { channel, offset: top, epoch: ch.epoch, skipped });
      hub.completeSubscribe(w, app, channel, top, false);
    } catch (err) {
      req.log.warn({ err, app, channel }, 'watch: could not start');
      w.end('could not start: try again');
    }
  });
  return { closeApp: (app) => { for (const w of [...live]) if (w.app === app) w.end('app deleted'); }, get size() { return live.size; } };
}
