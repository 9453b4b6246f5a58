import type { Conn, Sub } from '../conn.ts';
import type { Publication, SubscribeRequest, SubscribeResult } from '../../protocol/types.ts';
import type { ChannelKind } from '../../store/store.ts';
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
  let live: boolean;
  let proxied: { data?: unknown; expireAt: number } | undefined;
  try {
    // The subscribe proxy is asked about client subscriptions only; server-side ones were granted.
    if (!serverSide) proxied = await c.ctx.proxies.subscribe(c, channel, req.data);
    if (core.hooks.has('beforeSubscribe')) await core.hooks.before('beforeSubscribe', { ...c.actor, channel });
    live = (await authorize(core, c.app, channel, c.user)).kind !== 'durable';
    if (!serverSide) await checkPresenceSize(c, channel);
    await hub.beginSubscribe(c, c.app, channel, live);
  } catch (err) {
    if (c.subs.get(channel) === reservation) c.deleteSub(channel);
    throw err;
  }
  try {
    const ch = await core.store.channels.get(c.app, channel);
    if (!ch) throw Errors.unknownChannel.with(`channel "${channel}" does not exist`);
    if (live) {
      const r = await liveResult(c, channel, ch.kind, req);
      // centrifuge-js hands over the publications of a client-side subscribe reply, but not those of
      // a server-side subscription that is not recovered: those go out as pushes right after it.
      const trailing = serverSide && r.result.publications ? r.result.publications.splice(0).map((p) => Push.pub(channel, p)) : [];
      if (serverSide) delete r.result.publications;
      if (proxied && 'data' in proxied) r.result.data = proxied.data;
      return ready(c, reservation, r.result, r.top, trailing, proxied?.expireAt);
    }
    const top = ch.topOffset;
    const durable: SubscribeResult = { recoverable: true, positioned: true, epoch: ch.epoch, offset: top };
    if (proxied && 'data' in proxied) durable.data = proxied.data;
    if (req.recover) {
      durable.was_recovering = true;
      const from = typeof req.offset === 'number' ? req.offset : 0;
      const gap = top - from;
      durable.recovered = false;
      // A position at or before the retention cut cannot be recovered: its next messages are gone.
      if (req.epoch === ch.epoch && gap >= 0 && gap <= core.config.maxRecoveryPublications && from >= ch.trimOffset) {
        // Never partial (as Centrifugo): more than maxReplyBytes to catch up → recovered: false, the
        // client reads the gap from history in pages.
        const missed = gap > 0 ? await rangeWithin(core, c.app, channel, { after: from, limit: gap }) : { records: [], truncated: false };
        if (!missed.truncated) {
          durable.publications = missed.records.map((m) => publicationOf(m));
          durable.recovered = true;
        }
      }
      core.metrics.recovery(durable.recovered);
    }
    return ready(c, reservation, durable, top, [], proxied?.expireAt);
  } catch (err) {
    if (c.subs.get(channel) === reservation) c.deleteSub(channel);
    hub.abortSubscribe(c, c.app, channel);
    throw err;
  }
}

/** The prepared subscription: `finish` makes it live once its result was queued to the client. */
function ready(c: Conn, reservation: Sub, result: SubscribeResult, top: number, trailing: object[] = [], expireAt?: number): Prepared {
  const { channel, joinLeave, serverSide } = reservation;
  return {
    result,
    finish: () => {
      // Unsubscribed meanwhile (or unsubscribed and subscribed again): this attempt is void.
      if (c.closed || c.subs.get(channel) !== reservation) return c.ctx.hub.abortSubscribe(c, c.app, channel);
      c.setSub({ channel, joinLeave, serverSide, pending: false });
      for (const push of trailing) c.push(OutFrame.reply(push));
      c.ctx.hub.completeSubscribe(c, c.app, channel, top, joinLeave);
      // A subscription the subscribe proxy granted until a time is refreshed (or ended) by then.
      if (expireAt) c.ctx.proxies.expiry.subscription(c, channel, expireAt);
      announce(c, channel, 'j');
    },
  };
}

/**
 * Ephemeral and cache channels have no recoverable position. A cache channel's reply carries its
 * newest publications (the late joiner's "latest value"); what arrives after the newest of them is
 * delivered live (`top` is the cut).
 */
async function liveResult(c: Conn, channel: string, kind: ChannelKind, req: SubscribeRequest): Promise<{ result: SubscribeResult; top: number }> {
  const result: SubscribeResult = { recoverable: false, positioned: false };
  if (req.recover) {
    result.was_recovering = true;
    result.recovered = false;
  }
  if (kind !== 'cache') return { result, top: 0 };
  const r = await c.ctx.core.live.recent(c.app, channel);
  const pubs = r.publications.map((p) => JSON.parse(p) as Publication);
  if (pubs.length) result.publications = pubs;
  result.epoch = r.epoch;
  result.offset = r.top;
  return { result, top: pubs.at(-1)?.offset ?? 0 };
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

/**
 * Server-side subscription pushed to a connection (member added while connected). It starts at
 * `from`, the channel's top when the user was added: what was published since — possibly before this
 * node subscribed — follows the subscribe push as publications, then the live ones.
 */
export async function subscribeServerSide(c: Conn, channel: string, from?: number): Promise<void> {
  const ch = from !== undefined ? await c.ctx.core.channels.get(c.app, channel) : undefined;
  const recover = ch?.kind === 'durable' ? { recover: true, offset: from, epoch: ch.epoch } : {};
  const p = await prepareSubscribe(c, channel, { join_leave: true, ...recover }, true);
  const { recoverable, epoch, offset, positioned, recovered, publications } = p.result;
  c.push(OutFrame.reply(Push.subscribe(channel, { recoverable, epoch, offset: recovered ? from : offset, positioned })));
  if (recovered) for (const pub of publications ?? []) c.push(OutFrame.reply(Push.pub(channel, pub)));
  p.finish();
}

export async function unsubscribe(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  const channel = channelOf(body, 'unsubscribe');
  if (c.subs.has(channel)) leave(c, channel);
  return {};
}

/**
 * The server ends a subscription: by default push unsubscribe 2000 (access lost; the SDK will not
 * resubscribe); codes from 2500 make the SDK resubscribe (2501: a proxy-granted subscription expired).
 */
export function unsubscribeByServer(c: Conn, channel: string, code = 2000, reason = 'server unsubscribe'): void {
  leave(c, channel);
  c.push(OutFrame.reply(Push.unsubscribe(channel, code, reason)));
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
  core.hooks.after(kind === 'j' ? 'afterSubscribe' : 'afterUnsubscribe', { ...c.actor, channel });
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
