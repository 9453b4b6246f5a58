import type { Core } from './context.ts';
import type { UnreadEntry, UnreadPage, ReadMark } from '../protocol/results.ts';
import { publicationOf } from './publication.ts';
import { rangeWithin } from './bounded-range.ts';
import { Push } from '../protocol/frames.ts';
import { encodeEvent, userTopic } from '../protocol/events.ts';
import { Errors } from '../errors.ts';
import { authorize } from './channels.ts';

export type { UnreadEntry };

export async function unreadCounts(core: Core, app: string, user: string): Promise<UnreadEntry[]> {
  const pos = await core.store.reads.positions(app, user);
  return pos.map((p) => ({ channel: p.channel, unread: p.unread, readOffset: p.readOffset, offset: p.topOffset }));
}

/** Messages after the user's read position, oldest first. */
export async function fetchUnread(core: Core, app: string, user: string, channel: string, limit?: number): Promise<UnreadPage> {
  const ch = await authorize(core, app, channel, user);
  const readOffset = await core.store.reads.get(app, user, channel);
  const top = (await core.store.channels.get(app, channel))?.topOffset ?? ch.topOffset;
  const n = Math.min(limit ?? 100, core.config.maxHistoryLimit);
  const { records: recs } = await rangeWithin(core, app, channel, { after: readOffset, limit: n });
  return { publications: recs.map((r) => publicationOf(r)), readOffset, offset: top, epoch: ch.epoch };
}

/**
 * Moves the read position (forward only; default: the newest message) and tells every connection of
 * the user, on any node, so all devices show the same count.
 */
export async function markRead(core: Core, app: string, user: string, channel: string, offset?: number): Promise<ReadMark> {
  await authorize(core, app, channel, user);
  const ch = await core.store.channels.get(app, channel);
  if (!ch) throw Errors.unknownChannel;
  const target = offset === undefined ? ch.topOffset : Math.min(offset, ch.topOffset);
  const readOffset = await core.store.reads.markRead(app, user, channel, target);
  const result = { channel, readOffset, unread: Math.max(0, ch.topOffset - readOffset) };
  await core.broker.publish(userTopic(app, user), encodeEvent('m', 0, JSON.stringify(Push.message({ type: 'read', ...result }))));
  return result;
}
