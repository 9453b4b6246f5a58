import type { MessageRecord } from '../store/store.ts';
import type { ClientInfo, Publication, ReplyError } from './types.ts';

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

/** The push frame of one publication, encoded once and written to every subscriber as is. */
export function pubFrame(r: MessageRecord): string {
  return JSON.stringify({ push: { channel: r.channel, pub: publicationOf(r) } });
}

export function joinFrame(channel: string, info: ClientInfo): string {
  return JSON.stringify({ push: { channel, join: { info } } });
}

export function leaveFrame(channel: string, info: ClientInfo): string {
  return JSON.stringify({ push: { channel, leave: { info } } });
}

export function messageFrame(data: unknown): string {
  return JSON.stringify({ push: { message: { data } } });
}

export function subscribePushFrame(channel: string, result: object): string {
  return JSON.stringify({ push: { channel, subscribe: result } });
}

export function unsubscribePushFrame(channel: string, code: number, reason: string): string {
  return JSON.stringify({ push: { channel, unsubscribe: { code, reason } } });
}

export function replyFrame(id: number, command: string, result: unknown): string {
  return JSON.stringify({ id, [command]: result ?? {} });
}

export function errorFrame(id: number, err: ReplyError): string {
  return JSON.stringify({ id, error: err });
}

/** Server ping (and the client's pong): an empty JSON object. */
export const PING_FRAME = '{}';
