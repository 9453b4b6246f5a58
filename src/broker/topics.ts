/**
 * Topic names and event encoding shared by every node. A channel topic carries publications,
 * join/leave and channel-wide control; a user topic carries what concerns one user's connections
 * (read marks, membership changes, logout). Payload = `<kind>|<offset>|<body>`: the body of `p`, `j`,
 * `l` and `m` is the exact push frame to write to sockets, so it is encoded once on the publishing
 * node and never re-encoded on the way out.
 */
export const channelTopic = (app: string, channel: string): string => `c:${app}:${channel}`;
export const userTopic = (app: string, user: string): string => `u:${app}:${user}`;

export type EventKind =
  | 'p' // publication (offset set)
  | 'j' // join push
  | 'l' // leave push
  | 'm' // async message push to a user's connections
  | 's' // user was added to channel <body> (auto-subscribe)
  | 'x' // user was removed from channel <body> / channel <body> deleted (unsubscribe 2000)
  | 'o'; // logout of session <body>: close its connections

export function encodeEvent(kind: EventKind, offset: number, body: string): string {
  return `${kind}|${offset}|${body}`;
}

export function decodeEvent(payload: string): { kind: EventKind; offset: number; body: string } {
  const a = payload.indexOf('|');
  const b = payload.indexOf('|', a + 1);
  return { kind: payload.slice(0, a) as EventKind, offset: Number(payload.slice(a + 1, b)), body: payload.slice(b + 1) };
}

export function parseTopic(topic: string): { type: 'c' | 'u'; app: string; name: string } {
  const a = topic.indexOf(':');
  const b = topic.indexOf(':', a + 1);
  return { type: topic.slice(0, a) as 'c' | 'u', app: topic.slice(a + 1, b), name: topic.slice(b + 1) };
}
