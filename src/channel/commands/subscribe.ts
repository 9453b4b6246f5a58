import type { Client } from '../client.ts';
import type { SubscribeRequest, SubscribeResult } from '../../protocol/types.ts';
import { authorize } from '../../domain/channels.ts';
import { publicationOf, replyFrame, subscribePushFrame, unsubscribePushFrame, joinFrame, leaveFrame } from '../../protocol/frames.ts';
import { channelTopic, encodeEvent } from '../../broker/topics.ts';
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
 * the push subscription of a newly added member. Order matters: listen on the broker first, then
 * read the stream top / missed publications from the store, so nothing falls between the two.
 */
export async function prepareSubscribe(c: Client, channel: string, req: SubscribeRequest, serverSide: boolean): Promise<Prepared> {
  const { core, hub } = c.ctx;
  if (c.subs.has(channel)) throw Errors.alreadySubscribed.with(`already subscribed to "${channel}"`);
  if (core.hooks.has('beforeSubscribe')) await core.hooks.before('beforeSubscribe', { ...c.actor, channel });
  await authorize(core, c.app, channel, c.user);
  if (c.subs.has(channel)) throw Errors.alreadySubscribed.with(`already subscribed to "${channel}"`);
  const joinLeave = req.join_leave === true;
  c.subs.set(channel, { channel, joinLeave, serverSide });
  try {
    await hub.beginSubscribe(c, c.app, channel);
    const ch = await core.store.channels.get(c.app, channel);
    if (!ch) throw Errors.unknownChannel.with(`channel "${channel}" does not exist`);
    const top = ch.topOffset;
    const result: SubscribeResult = { recoverable: true, positioned: true, epoch: ch.epoch, offset: top };
    if (req.recover) {
      result.was_recovering = true;
      const from = typeof req.offset === 'number' ? req.offset : 0;
      const gap = top - from;
      if (req.epoch === ch.epoch && gap >= 0 && gap <= core.config.maxRecoveryPublications) {
        const missed = gap > 0 ? await core.store.messages.range(c.app, channel, { after: from, limit: gap }) : [];
        result.publications = missed.map((m) => publicationOf(m));
        result.recovered = true;
      } else {
        result.recovered = false;
      }
    }
    return {
      result,
      finish: () => {
        if (c.closed || !c.subs.has(channel)) return hub.abortSubscribe(c, c.app, channel);
        hub.completeSubscribe(c, c.app, channel, top, joinLeave);
        announce(c, channel, 'j');
      },
    };
  } catch (err) {
    c.subs.delete(channel);
    hub.abortSubscribe(c, c.app, channel);
    throw err;
  }
}

export async function subscribe(c: Client, body: Record<string, unknown>, id: number): Promise<unknown> {
  const req = body as SubscribeRequest;
  const channel = channelOf(body, 'subscribe');
  if (channel.length > c.ctx.core.config.maxChannelNameLength) throw Errors.badRequest.with('channel name too long');
  if (req.offset !== undefined && (!Number.isSafeInteger(req.offset) || req.offset < 0)) throw Errors.badRequest.with('subscribe.offset must be a non-negative integer');
  if (req.epoch !== undefined && typeof req.epoch !== 'string') throw Errors.badRequest.with('subscribe.epoch must be a string');
  let clientSide = 0;
  for (const s of c.subs.values()) if (!s.serverSide) clientSide++;
  if (clientSide >= c.ctx.core.config.maxChannelsPerConnection) throw Errors.limitExceeded.with(`at most ${c.ctx.core.config.maxChannelsPerConnection} channels per connection`);
  const p = await prepareSubscribe(c, channel, req, false);
  c.push(replyFrame(id, 'subscribe', p.result));
  p.finish();
  return REPLIED;
}

/** Server-side subscription pushed to a connection (member added while connected). */
export async function subscribeServerSide(c: Client, channel: string): Promise<void> {
  const p = await prepareSubscribe(c, channel, { join_leave: true }, true);
  const { recoverable, epoch, offset, positioned } = p.result;
  c.push(subscribePushFrame(channel, { recoverable, epoch, offset, positioned }));
  p.finish();
}

export async function unsubscribe(c: Client, body: Record<string, unknown>): Promise<unknown> {
  const channel = channelOf(body, 'unsubscribe');
  if (c.subs.has(channel)) leave(c, channel);
  return {};
}

/** The server ends a subscription (access lost): push unsubscribe 2000, the SDK will not resubscribe. */
export function unsubscribeByServer(c: Client, channel: string): void {
  leave(c, channel);
  c.push(unsubscribePushFrame(channel, 2000, 'server unsubscribe'));
}

export function leaveAll(c: Client): void {
  for (const channel of [...c.subs.keys()]) leave(c, channel);
}

function leave(c: Client, channel: string): void {
  c.subs.delete(channel);
  c.ctx.hub.unsubscribe(c, c.app, channel);
  announce(c, channel, 'l');
}

/** Presence entry + join/leave push to the channel's subscribers on every node. */
function announce(c: Client, channel: string, kind: 'j' | 'l'): void {
  const { core } = c.ctx;
  const info = { user: c.user, client: c.id, conn_info: { device: c.device }, ...(c.info !== undefined ? { chan_info: c.info } : {}) };
  const op = kind === 'j'
    ? core.presence.add(c.app, channel, { user: c.user, client: c.id, device: c.device, info: c.info })
    : core.presence.remove(c.app, channel, c.id);
  const frame = kind === 'j' ? joinFrame(channel, info) : leaveFrame(channel, info);
  Promise.all([op, core.broker.publish(channelTopic(c.app, channel), encodeEvent(kind, 0, frame))])
    .catch((err) => core.log.warn({ err, channel }, 'presence update failed'));
}
