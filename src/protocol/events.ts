/**
 * Broker topics and the events on them, shared by every node. A channel topic carries publications,
 * join/leave and channel-wide control; a user topic what concerns one user's connections (read marks,
 * membership changes, logout); the control topic what concerns every node (an app deleted, a channel created
 * or deleted); a node topic what is addressed to one node (emulation commands forwarded to the node holding a
 * stream).
 * Payload = `<kind>|<offset>|<body>`: the body of `p`, `j`, `l` and `m` is the JSON text of the exact
 * push to write to clients, so it is encoded once on the publishing node and never re-encoded on the
 * way out (Protobuf clients get it converted once per node and turn).
 */
export const channelTopic = (app: string, channel: string): string => `c:${app}:${channel}`;
export const userTopic = (app: string, user: string): string => `u:${app}:${user}`;
export const nodeTopic = (node: string): string => `n:${node}`;
/** Every channel node listens here for the whole of its life. */
export const CONTROL_TOPIC = 'k:control';

export type EventKind =
  | 'p' // publication (offset set)
  | 'j' // join push
  | 'l' // leave push
  | 'm' // async message push to a user's connections
  | 's' // user was added to channel <body> (auto-subscribe)
  | 'x' // user was removed from channel <body> / channel <body> deleted (unsubscribe 2000)
  | 'o' // logout of session <body>: close its connections
  | 'd' // control: app <body> was deleted: close its connections, forget it
  | 'c' // control: channel created or deleted, <body> = JSON [app, channel]: forget it (channel caches)
  | 'k' // control: close the connections matching <body> (JSON: app + client / user / device, code, reason)
  | 'e'; // node: emulation request <body> (JSON) for a stream held by this node, or its answer

export function encodeEvent(kind: EventKind, offset: number, body: string): string {
  return `${kind}|${offset}|${body}`;
}

export function decodeEvent(payload: string): { kind: EventKind; offset: number; body: string } {
  const a = payload.indexOf('|');
  const b = payload.indexOf('|', a + 1);
  return { kind: payload.slice(0, a) as EventKind, offset: Number(payload.slice(a + 1, b)), body: payload.slice(b + 1) };
}

/** Control event `c`: channel `channel` of `app` was created or deleted. */
export function channelChangedEvent(app: string, channel: string): string {
  return encodeEvent('c', 0, JSON.stringify([app, channel]));
}

/** The [app, channel] of a `c` body, or undefined when it is not one. */
export function channelOfChangedEvent(body: string): [string, string] | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' ? [v[0], v[1]] : undefined;
  } catch {
    return undefined;
  }
}

export type TopicType = 'c' | 'u' | 'n' | 'k';

/** `c:<app>:<channel>` / `u:<app>:<user>` → parts; `n:<node>` and `k:control` have no app. */
export function parseTopic(topic: string): { type: TopicType; app: string; name: string } {
  const a = topic.indexOf(':');
  const type = topic.slice(0, a) as TopicType;
  if (type === 'n' || type === 'k') return { type, app: '', name: topic.slice(a + 1) };
  const b = topic.indexOf(':', a + 1);
  return { type, app: topic.slice(a + 1, b), name: topic.slice(b + 1) };
}
