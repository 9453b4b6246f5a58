import type { Core } from './context.ts';
import type { MessageRecord } from '../store/store.ts';

export interface BoundedRange {
  records: MessageRecord[];
  /** True when the byte budget stopped the read before `limit` messages (or the end) were reached. */
  truncated: boolean;
}

/**
 * Up to `limit` messages of a channel in offset order (ascending after `after`, or descending before
 * `before`), but never more than `maxBytes` of payload: replies (history, recovery, unread) stay
 * bounded in memory however large the messages are. Reads in pages sized from the sizes seen so far,
 * so a channel of small messages takes few queries and one of 64 KB messages never loads more than
 * the budget plus one message.
 */
export async function rangeWithin(
  core: Core, app: string, channel: string,
  q: { after?: number; before?: number; limit: number },
  maxBytes = core.config.maxReplyBytes,
): Promise<BoundedRange> {
  const out: MessageRecord[] = [];
  let bytes = 0;
  let after = q.after ?? 0;
  let before = q.before;
  const reverse = before !== undefined;
  let page = Math.min(q.limit, 100);
  while (out.length < q.limit) {
    const want = Math.max(1, Math.min(page, q.limit - out.length));
    const recs = reverse
      ? await core.store.messages.range(app, channel, { before, limit: want, reverse: true })
      : await core.store.messages.range(app, channel, { after, limit: want });
    for (const r of recs) {
      const size = sizeOf(r);
      if (bytes + size > maxBytes && out.length > 0) return { records: out, truncated: true };
      bytes += size;
      out.push(r);
      if (bytes >= maxBytes) return { records: out, truncated: out.length < q.limit };
    }
    if (recs.length < want) break;
    const last = recs[recs.length - 1]!;
    if (reverse) before = last.offset;
    else after = last.offset;
    const avg = Math.max(1, bytes / out.length);
    page = Math.max(1, Math.min(1000, Math.floor((maxBytes - bytes) / avg)));
  }
  return { records: out, truncated: false };
}

/** Payload bytes of a message as it goes out (its JSON data plus a fixed allowance for the envelope). */
function sizeOf(r: MessageRecord): number {
  return Buffer.byteLength(JSON.stringify(r.data) ?? 'null') + 200;
}
