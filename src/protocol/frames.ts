import type { ClientInfo, Publication, ReplyError, SubscribeResult } from './types.ts';

/**
 * The replies and pushes XPUSH sends, as JSON-shaped objects (what the JSON encoding writes; the
 * Protobuf encoding converts the same objects). Pure: no I/O, no server types.
 */
export const Push = {
  pub: (channel: string, pub: Publication) => ({ push: { channel, pub } }),
  join: (channel: string, info: ClientInfo) => ({ push: { channel, join: { info } } }),
  leave: (channel: string, info: ClientInfo) => ({ push: { channel, leave: { info } } }),
  message: (data: unknown) => ({ push: { message: { data } } }),
  subscribe: (channel: string, result: SubscribeResult) => ({ push: { channel, subscribe: result } }),
  unsubscribe: (channel: string, code: number, reason: string) => ({ push: { channel, unsubscribe: { code, reason } } }),
  disconnect: (code: number, reason: string, reconnect: boolean) => ({ push: { disconnect: { code, reason, reconnect } } }),
} as const;

export function reply(id: number, command: string, result: unknown): object {
  return { id, [command]: result ?? {} };
}

export function errorReply(id: number, err: ReplyError): object {
  return { id, error: err };
}
