import { Errors } from '../../errors.ts';

/** The `channel` field every channel command carries: a non-empty string, or 107 naming the command. */
export function channelOf(body: Record<string, unknown>, cmd: string): string {
  const channel = body.channel;
  if (typeof channel !== 'string' || channel.length === 0) throw Errors.badRequest.with(`${cmd}.channel must be a non-empty string`);
  return channel;
}
