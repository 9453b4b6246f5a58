import type { Client } from '../client.ts';
import { authorize } from '../../domain/channels.ts';
import { preparePublish, commitPublish, type PublishAck, type PublishInput } from '../../domain/messages.ts';
import { check, PublishBody } from '../../protocol/schemas.ts';
import { Errors } from '../../errors.ts';
import { channelOf } from './args.ts';

/**
 * Publish from a connection: subscribed clients were authorised at subscribe time (and are
 * unsubscribed when they lose access); others are checked now. Publishes of one connection enter the
 * store in the order they were sent, while the acks are awaited concurrently (pipelining).
 */
export function publishFrom(c: Client, input: PublishInput): Promise<PublishAck> {
  const { core } = c.ctx;
  const run = async (): Promise<{ ack: Promise<PublishAck> }> => {
    if (!c.subs.has(input.channel)) await authorize(core, c.app, input.channel, c.user);
    const prepared = await preparePublish(core, c.app, c.actor, input);
    return { ack: commitPublish(core, prepared) }; // enqueued now, in chain order
  };
  const staged = c.order.then(run, run);
  c.order = staged.catch(() => undefined); // the chain waits for enqueue only, never for the commit
  return staged.then((s) => s.ack);
}

/** Native publish {channel, data}: event "message"; the reply carries the stored offset. */
export async function publish(c: Client, body: Record<string, unknown>): Promise<unknown> {
  const channel = channelOf(body, 'publish');
  if (!('data' in body)) throw Errors.badRequest.with('publish.data is required');
  const ack = await publishFrom(c, { channel, data: body.data });
  return { offset: ack.offset, epoch: ack.epoch, id: ack.id };
}

/** rpc "publish" {channel, event?, data, id?}. */
export async function rpcPublish(c: Client, data: unknown): Promise<PublishAck> {
  const input = check(PublishBody, data);
  return publishFrom(c, input);
}
