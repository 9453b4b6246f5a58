import type { Conn } from '../conn.ts';
import { authorize } from '../../domain/channels.ts';
import { history as readHistory } from '../../domain/messages.ts';
import { Errors } from '../../errors.ts';
import { channelOf } from './args.ts';

/**
 * history {channel, limit?, since?: {offset, epoch}, reverse?}. `since` pages after an offset, or
 * before it with `reverse`; without `since`, `reverse` starts from the newest. A `since.epoch` that is
 * not the channel's epoch is answered with 112 (unrecoverable position).
 */
export async function history(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  const channel = channelOf(body, 'history');
  const { limit, since, reverse } = body as { limit?: unknown; since?: { offset?: unknown; epoch?: unknown }; reverse?: unknown };
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < -1)) throw Errors.badRequest.with('history.limit must be an integer');
  if (since !== undefined && (typeof since !== 'object' || since === null)) throw Errors.badRequest.with('history.since must be an object');
  const sinceOffset = since?.offset ?? 0;
  if (!Number.isSafeInteger(sinceOffset) || (sinceOffset as number) < 0) throw Errors.badRequest.with('history.since.offset must be a non-negative integer');
  const ch = await authorize(c.ctx.core, c.app, channel, c.user);
  if (ch.kind === 'durable' && since && since.epoch !== undefined && since.epoch !== '' && since.epoch !== ch.epoch) throw Errors.unrecoverablePosition.with('epoch changed: the stream was replaced');
  // Centrifugo: limit 0 (or absent: Protobuf cannot tell them apart) → only the stream position;
  // -1 → as many as allowed.
  const lim = limit === -1 ? c.ctx.core.config.maxHistoryLimit : ((limit as number | undefined) ?? 0);
  const q = reverse === true
    ? { before: since ? (sinceOffset as number) : Number.MAX_SAFE_INTEGER, limit: lim }
    : { after: sinceOffset as number, limit: lim };
  return readHistory(c.ctx.core, c.app, channel, q);
}
