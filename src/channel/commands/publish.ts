import type { Conn } from '../conn.ts';
import { authorize } from '../../domain/channels.ts';
import { preparePublish, preparePublishNow, commitPublish, type PublishAck, type PublishInput } from '../../domain/messages.ts';
import { Errors } from '../../errors.ts';
import { channelOf } from './args.ts';

/**
 * Publish from a connection: subscribed clients were authorised at subscribe time (and are
 * unsubscribed when they lose access); others are checked now. Publishes of one connection enter the
 * store in the order they were sent, while the acks are awaited concurrently (pipelining).
 */
export function publishFrom(c: Conn, input: PublishInput): Promise<PublishAck> {
  const { core } = c.ctx;
  if (c.inOrderIdle() && authorised(c, input.channel) && c.ctx.proxies.off(c.app, 'publish')) {
    // The common case, with nothing to wait for and nothing of this connection ahead: enqueued now.
    let now;
    try {
      now = preparePublishNow(core, c.app, c.actor, input);
    } catch (err) {
      return Promise.reject(err);
    }
    if (now) return commitPublish(core, now);
  }
  const run = async (): Promise<{ ack: Promise<PublishAck> }> => {
    if (!authorised(c, input.channel)) await authorize(core, c.app, input.channel, c.user);
    // The publish proxy may refuse (throws) or replace the data; beforePublish hooks then see the result.
    const proxied = c.ctx.proxies.off(c.app, 'publish') ? undefined : await c.ctx.proxies.publish(c, input);
    const prepared = await preparePublish(core, c.app, c.actor, proxied ? { ...input, data: proxied.data } : input);
    return { ack: commitPublish(core, prepared) }; // enqueued now, in chain order
  };
  // The chain waits for the enqueue only, never for the commit.
  return c.inOrder(run).then((s) => s.ack);
}

/** A live subscription was authorised at subscribe time (a pending one, reserved but not checked, was not); open channels need none. */
function authorised(c: Conn, channel: string): boolean {
  return c.subs.get(channel)?.pending === false || c.ctx.core.channels.peek(c.app, channel)?.type === 'open';
}

/** Native publish {channel, data}: event "message"; the reply carries the stored offset. */
export async function publish(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  const channel = channelOf(body, 'publish');
  if (!('data' in body)) throw Errors.badRequest.with('publish.data is required');
  const ack = await publishFrom(c, { channel, data: body.data });
  return { offset: ack.offset, epoch: ack.epoch, id: ack.id };
}
