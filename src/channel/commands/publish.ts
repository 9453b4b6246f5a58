import type { Conn } from '../conn.ts';
import { authorize } from '../../domain/channels.ts';
import { preparePublish, commitPublish, type PublishAck, type PublishInput } from '../../domain/messages.ts';
import { Errors } from '../../errors.ts';
import { channelOf } from './args.ts';

/**
 * Publish from a connection: subscribed clients were authorised at subscribe time (and are
 * unsubscribed when they lose access); others are checked now. Publishes of one connection enter the
 * store in the order they were sent, while the acks are awaited concurrently (pipelining).
 */
export function publishFrom(c: Conn, input: PublishInput): Promise<PublishAck> {
  const { core } = c.ctx;
  const run = async (): Promise<{ ack: Promise<PublishAck> }> => {
    // A live subscription was authorised at subscribe time; a pending one (reserved, not yet checked) was not.
    if (c.subs.get(input.channel)?.pending !== false && core.channels.peek(c.app, input.channel)?.type !== 'open') {
      await authorize(core, c.app, input.channel, c.user);
    }
    // The publish proxy may refuse (throws) or replace the data; beforePublish hooks then see the result.
    const proxied = c.ctx.proxies.off(c.app, 'publish') ? undefined : await c.ctx.proxies.publish(c, input);
    const prepared = await preparePublish(core, c.app, c.actor, proxied ? { ...input, data: proxied.data } : input);
    return { ack: commitPublish(core, prepared) }; // enqueued now, in chain order
  };
  // The chain waits for the enqueue only, never for the commit.
  return c.inOrder(run).then((s) => s.ack);
}

/** Native publish {channel, data}: event "message"; the reply carries the stored offset. */
export async function publish(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  const channel = channelOf(body, 'publish');
  if (!('data' in body)) throw Errors.badRequest.with('publish.data is required');
  const ack = await publishFrom(c, { channel, data: body.data });
  return { offset: ack.offset, epoch: ack.epoch, id: ack.id };
}
