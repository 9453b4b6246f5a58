import type { MessageRecord } from '../store/store.ts';
import type { Publication } from '../protocol/types.ts';

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

const str = JSON.stringify;

/**
 * The JSON text of a publication push: encoded once per publication, written to every subscriber as
 * is. The same text as `JSON.stringify(Push.pub(channel, publicationOf(r)))` (a unit test holds them
 * equal), written out directly: ~0.5 µs instead of ~1.4 µs, and the data's JSON is reused when the
 * publish path already has it (`dataJson`, made once for the size check and the store).
 */
export function pubPushJson(r: MessageRecord, dataJson: string = str(r.data) ?? 'null'): string {
  return `{"push":{"channel":${str(r.channel)},"pub":{"data":${dataJson},"info":{"user":${str(r.senderUser)},"client":${str(r.senderClient)},"conn_info":{"device":${str(r.senderDevice)}}},"offset":${r.offset},"tags":{"event":${str(r.event)},"id":${str(r.id)},"ts":"${r.time}"},"time":${r.time}}}}`;
}
