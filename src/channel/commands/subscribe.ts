import type { Conn, Sub } from '../conn.ts';
import type { SubscribeRequest, SubscribeResult } from '../../protocol/types.ts';
import { authorize } from '../../domain/channels.ts';
import { publicationOf } from '../../domain/publication.ts';
import { rangeWithin } from '../../domain/bounded-range.ts';
import { Push, reply } from '../../protocol/frames.ts';
import { OutFrame } from '../out-frame.ts';
import { channelTopic, encodeEvent } from '../../protocol/events.ts';
import { Errors } from '../../errors.ts';
import { channelOf } from './args.ts';
import { REPLIED } from './replied.ts';

export interface Prepared {
  result: SubscribeResult;
  /** Call right after the result was queued to the client: goes live and announces the join. */
  finish(): void;
}

/**
 * The subscribe core shared by the subscribe command, connect-time server-side subscriptions and
 * the push subscription of a newly added member. The caller has reserved the channel in `c.subs`
 * (synchronously, so pipelined subscribes cannot overrun the limit); on failure the reservation is
 * dropped. Order matters: listen on the broker first, then read the stream top / missed
 * publications from the store, so nothing falls between the two.
 */
async function subscribeReserved(c: Conn, reservation: Sub, req: SubscribeRequest): Promise<Prepared> {
  const { core, hub } = c.ctx;
  const { channel, joinLeave, serverSide } = reservation;
  try {
    if (core.hooks.has('beforeSubscribe')) await core.hooks.before('beforeSubscribe', { ...c.actor, channel });
    await authorize(core, c.app, channel, c.user);
    if (!serverSide) await checkPresenceSize(c, channel);
    await hub.beginSubscribe(c, c.app, channel);
  } catch (err) {
    if (c.subs.get(channel) === reservation) c.deleteSub(channel);
    throw err;
  }
  try {
    const ch = await core.store.channels.get(c.app, channel);
    if (!ch) throw Errors.unknownChannel.with(`channel "${channel}" does not exist`);
    const top = ch.topOffset;
    const result: SubscribeResult = { recoverable: true, positioned: true, epoch: ch.epoch, offset: top };
    if (req.recover) {
      result.was_recovering = true;
      const from = typeof req.offset === 'number' ? req.offset : 0;
      const gap = top - from;
      result.recovered = false;
      if (req.epoch === ch.epoch && gap >= 0 && gap <= core.config.maxRecoveryPublications) {
        // Never partial (as Centrifugo): more than maxReplyBytes to catch up → recovered: false, the
        // client reads the gap from history in pages.
        const missed = gap > 0 ? await rangeWithin(core, c.app, channel, { after: from, limit: gap }) : { records: [], truncated: false };
        if (!missed.truncated) {
          result.publications = missed.records.map((m) => publicationOf(m));
          result.recovered = true;
        }
      }
    }
    return {
      result,
      finish: () => {
        // Unsubscribed meanwhile (or unsubscribed and subscribed again): this attempt is void.
        if (c.closed || c.subs.get(channel) !== reservation) return hub.abortSubscribe(c, c.app, channel);
        c.setSub({ channel, joinLeave, serverSide, pending: false });
        hub.completeSubscribe(c, c.app, channel, top, joinLeave);
        announce(c, channel, 'j');
      },
    };
  } catch (err) {
    if (c.subs.get(channel) === reservation) c.deleteSub(channel);
    hub.abortSubscribe(c, c.app, channel);
    throw err;
  }
}

/** Server-side subscription at connect time or when a member is added (no per-connection limit). */
export function prepareSubscribe(c: Conn, channel: string, req: SubscribeRequest, serverSide: boolean): Promise<Prepared> {
  if (c.subs.has(channel)) return Promise.reject(Errors.alreadySubscribed.with(`already subscribed to "${channel}"`));
  const reservation: Sub = { channel, joinLeave: req.join_leave === true, serverSide, pending: true };
  c.setSub(reservation);
  return subscribeReserved(c, reservation, req);
}

export function subscribe(c: Conn, body: Record<string, unknown>, id: number): Promise<unknown> {
  // Everything up to the reservation runs synchronously: commands of one frame (or frames read in
  // one turn) are checked one after the other against the same count.
  let channel: string;
  const req = body as SubscribeRequest;
  const max = c.limits.maxChannelsPerConnection;
  try {
    channel = channelOf(body, 'subscribe');
    if (channel.length > c.ctx.core.config.maxChannelNameLength) throw Errors.badRequest.with('channel name too long');
    if (req.offset !== undefined && (!Number.isSafeInteger(req.offset) || req.offset < 0)) throw Errors.badRequest.with('subscribe.offset must be a non-negative integer');
    if (req.epoch !== undefined && typeof req.epoch !== 'string') throw Errors.badRequest.with('subscribe.epoch must be a string');
    if (c.subs.has(channel)) throw Errors.alreadySubscribed.with(`already subscribed to "${channel}"`);
    if (c.clientSubscriptions() >= max) throw Errors.limitExceeded.with(`at most ${max} channels per connection`);
  } catch (err) {
    return Promise.reject(err);
  }
  const reservation: Sub = { channel, joinLeave: req.join_leave === true, serverSide: false, pending: true };
  c.setSub(reservation);
  return subscribeReserved(c, reservation, req).then((p) => {
    c.push(OutFrame.reply(reply(id, 'subscribe', p.result)));
    p.finish();
    return REPLIED;
  });
}

/** Server-side subscription pushed to a connection (member added while connected). */
export async function subscribeServerSide(c: Conn, channel: string): Promise<void> {
  const p = await prepareSubscribe(c, channel, { join_leave: true }, true);
  const { recoverable, epoch, offset, positioned } = p.result;
  c.push(OutFrame.reply(Push.subscribe(channel, { recoverable, epoch, offset, positioned })));
  p.finish();
}

export async function unsubscribe(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  const channel = channelOf(body, 'unsubscribe');
  if (c.subs.has(channel)) leave(c, channel);
  return {};
}

/** The server ends a subscription (access lost): push unsubscribe 2000, the SDK will not resubscribe. */
export function unsubscribeByServer(c: Conn, channel: string): void {
  leave(c, channel);
  c.push(OutFrame.reply(Push.unsubscribe(channel, 2000, 'server unsubscribe')));
}

/**
 * Ends every subscription of a closing connection. With `lingerMs` > 0 (the connection dropped) the
 * presence entries stay for that long and no leave is sent now: the presence keeper announces the
 * leave when an entry lapses, unless the same device subscribes again first (see announce).
 */
export function leaveAll(c: Conn, lingerMs = 0): void {
  for (const channel of [...c.subs.keys()]) leave(c, channel, lingerMs);
}

function leave(c: Conn, channel: string, lingerMs = 0): void {
  const wasLive = c.subs.get(channel)?.pending === false;
  c.deleteSub(channel);
  c.ctx.hub.unsubscribe(c, c.app, channel);
  if (!wasLive) return;
  if (lingerMs > 0) {
    c.ctx.core.presence.linger(c.app, channel, c.id, lingerMs).catch((err) => c.ctx.core.log.warn({ err, channel }, 'presence update failed'));
  } else {
    announce(c, channel, 'l');
  }
}

/** A client subscribe into a channel whose presence is full (limits.maxPresenceSize) gets 106. */
async function checkPresenceSize(c: Conn, channel: string): Promise<void> {
  const max = c.limits.maxPresenceSize;
  if (max > 0 && (await c.ctx.core.presence.count(c.app, channel)) >= max) {
    throw Errors.limitExceeded.with(`channel "${channel}" has its maximum of ${max} connections in presence`);
  }
}

/**
 * Presence entry + join/leave push to the channel's subscribers on every node. A join that takes
 * over a lingering entry of the same device (it dropped and came back within presenceDelayMs) is not
 * announced: its leave was never sent either.
 */
function announce(c: Conn, channel: string, kind: 'j' | 'l'): void {
  const { core } = c.ctx;
  const info = { user: c.user, client: c.id, conn_info: { device: c.device }, ...(c.info !== undefined ? { chan_info: c.info } : {}) };
  const push = (): Promise<void> => {
    const frame = kind === 'j' ? Push.join(channel, info) : Push.leave(channel, info);
    return core.broker.publish(channelTopic(c.app, channel), encodeEvent(kind, 0, JSON.stringify(frame)));
  };
  const done = kind === 'j'
    ? core.presence.enter(c.app, channel, { user: c.user, client: c.id, device: c.device, info: c.info }).then((took) => (took === undefined ? push() : undefined))
    : Promise.all([core.presence.remove(c.app, channel, c.id), push()]);
  done.catch((err) => core.log.warn({ err, channel }, 'presence update failed'));
}
