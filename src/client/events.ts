import type { Centrifuge } from 'centrifuge';
import { XPushError } from '../errors.ts';
import type { ChannelStreams, PubLike } from './streams.ts';
import type { Actor, ConnectedInfo } from './types.ts';

export interface EventSink {
  emit(event: string, ...args: unknown[]): void;
  setConnected(info: ConnectedInfo | null): void;
  setUnread(channel: string, unread: number): void;
}

/**
 * Turns centrifuge's client-level events (server-side subscriptions raise these, not subscription
 * objects) into XPush events. Publications go through the channel streams, which order and
 * de-duplicate them.
 */
export function wireEvents(c: Centrifuge, streams: ChannelStreams, sink: EventSink): void {
  let connected = false;

  c.on('connected', (ctx) => {
    connected = true;
    const d = (ctx.data ?? {}) as { user?: string; device?: string; node?: string; unread?: Record<string, number> };
    const info: ConnectedInfo = { client: ctx.client, user: d.user, device: d.device, node: d.node, unread: { ...(d.unread ?? {}) } };
    sink.setConnected(info);
    sink.emit('connected', info);
  });

  // centrifuge goes to `connecting` after a drop it will repair, `disconnected` when it stops.
  c.on('connecting', (ctx) => {
    if (!connected) return;
    connected = false;
    sink.setConnected(null);
    sink.emit('disconnected', { code: ctx.code, reason: ctx.reason, reconnecting: true });
  });
  c.on('disconnected', (ctx) => {
    connected = false;
    sink.setConnected(null);
    sink.emit('disconnected', { code: ctx.code, reason: ctx.reason, reconnecting: false });
  });

  c.on('subscribed', (ctx) => {
    streams.subscribed(ctx.channel, ctx.streamPosition, ctx.recovered);
    const pos = streams.position(ctx.channel);
    sink.emit('subscribed', ctx.channel, { offset: pos?.offset ?? 0, epoch: pos?.epoch ?? '', recovered: ctx.recovered });
  });
  c.on('unsubscribed', (ctx) => {
    streams.forget(ctx.channel);
    sink.emit('unsubscribed', ctx.channel);
  });
  c.on('publication', (ctx) => streams.publication(ctx.channel, ctx as PubLike));
  c.on('join', (ctx) => sink.emit('join', ctx.channel, actor(ctx.info)));
  c.on('leave', (ctx) => sink.emit('leave', ctx.channel, actor(ctx.info)));

  c.on('message', (ctx) => {
    const m = ctx.data as { type?: unknown; channel?: unknown; readOffset?: unknown; unread?: unknown } | null;
    if (m && typeof m === 'object' && typeof m.channel === 'string') {
      if (m.type === 'read') {
        sink.setUnread(m.channel, Number(m.unread));
        sink.emit('read', m.channel, { readOffset: Number(m.readOffset), unread: Number(m.unread) });
        return;
      }
      if (m.type === 'member.added' || m.type === 'member.removed') {
        sink.emit(m.type, m.channel);
        return;
      }
    }
    sink.emit('push', ctx.data);
  });

  c.on('error', (ctx) => {
    const e = ctx.error;
    const err = new XPushError(e.code, `${ctx.type}: ${e.message}`, { temporary: true });
    sink.emit('error', err);
  });
}

export function actor(i: { user: string; client: string; connInfo?: any }): Actor {
  const a: Actor = { user: i.user, client: i.client };
  const ci = i.connInfo;
  if (ci && typeof ci === 'object' && typeof ci.device === 'string') a.device = ci.device;
  return a;
}
