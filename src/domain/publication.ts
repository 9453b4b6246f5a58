import type { MessageRecord } from '../store/store.ts';
import type { Publication } from '../protocol/types.ts';
import { Push } from '../protocol/frames.ts';

/** A stored message as a protocol publication (docs/protocol.md "Concepts → protocol"). */
export function publicationOf(r: MessageRecord, withChannel = false): Publication {
  const p: Publication = {
    data: r.data,
    info: { user: r.senderUser, client: r.senderClient, conn_info: { device: r.senderDevice } },
    offset: r.offset,
    tags: { event: r.event, id: r.id, ts: String(r.time) },
    time: r.time,
  };
  if (withChannel) p.channel = r.channel;
  return p;
}

/** The JSON text of a publication push: encoded once per publication, written to every subscriber as is. */
export function pubPushJson(r: MessageRecord): string {
  return JSON.stringify(Push.pub(r.channel, publicationOf(r)));
}
