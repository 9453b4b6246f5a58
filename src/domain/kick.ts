import type { Core } from './context.ts';
import { CONTROL_TOPIC, encodeEvent } from '../protocol/events.ts';
import { Disconnect, Disconnects } from '../disconnect.ts';
import { Errors } from '../errors.ts';

/**
 * Which connections of an app to close: one connection (`client`), every connection of a user
 * (`user`), or one device of a user (`user` + `device`). `client` and `user` together must both match.
 */
export interface ConnectionFilter {
  client?: string;
  user?: string;
  device?: string;
}

/** What every node receives on the control topic. */
interface KickEvent extends ConnectionFilter {
  app: string;
  code: number;
  reason: string;
}

/** Disconnect codes an operator may send: the protocol's (3000–3999) and the application range (4000–4999). */
export const MIN_KICK_CODE = 3000;
export const MAX_KICK_CODE = 4999;

/** Refuses a filter that would match nothing precise (no client, no user) or a device without its user. */
export function checkFilter(f: ConnectionFilter): void {
  if (f.device !== undefined && f.user === undefined) throw Errors.badRequest.with('device needs user: device ids are per user');
  if (f.client === undefined && f.user === undefined) throw Errors.badRequest.with('give client (one connection) or user (all of a user\'s connections, or one device with device)');
}

/** The connection `c` is one the filter names. */
export function matchesFilter(c: { id: string; user: string; device: string }, f: ConnectionFilter): boolean {
  return (f.client === undefined || c.id === f.client)
    && (f.user === undefined || c.user === f.user)
    && (f.device === undefined || c.device === f.device);
}

/**
 * Closes the matching connections of `app` on every node with `d` (default 3503 "force disconnect",
 * terminal: the SDKs do not reconnect; a code in 3000–3499 makes them reconnect). Goes through the
 * broker's control topic, which every node listens to, so the caller need not know where a
 * connection lives. Resolves once the order is published, not when the sockets are closed.
 */
export async function disconnectConnections(core: Core, app: string, f: ConnectionFilter, d: Disconnect = Disconnects.forceDisconnect): Promise<void> {
  checkFilter(f);
  if (!Number.isInteger(d.code) || d.code < MIN_KICK_CODE || d.code > MAX_KICK_CODE) throw Errors.badRequest.with(`code must be an integer from ${MIN_KICK_CODE} to ${MAX_KICK_CODE}`);
  const ev: KickEvent = { app, ...pick(f), code: d.code, reason: d.reason };
  await core.broker.publish(CONTROL_TOPIC, encodeEvent('k', 0, JSON.stringify(ev)));
}

/** The body of a `k` control event, or undefined when it is not one this version understands. */
export function decodeKick(body: string): { app: string; filter: ConnectionFilter; disconnect: Disconnect } | undefined {
  let ev: Partial<KickEvent>;
  try {
    ev = JSON.parse(body) as Partial<KickEvent>;
  } catch {
    return undefined;
  }
  const str = (v: unknown) => v === undefined || typeof v === 'string';
  if (!ev || typeof ev.app !== 'string' || !str(ev.client) || !str(ev.user) || !str(ev.device)) return undefined;
  if (typeof ev.code !== 'number' || typeof ev.reason !== 'string') return undefined;
  const filter = pick(ev);
  if (filter.client === undefined && filter.user === undefined) return undefined;
  return { app: ev.app, filter, disconnect: new Disconnect(ev.code, ev.reason) };
}

function pick(f: ConnectionFilter): ConnectionFilter {
  const out: ConnectionFilter = {};
  if (f.client !== undefined) out.client = f.client;
  if (f.user !== undefined) out.user = f.user;
  if (f.device !== undefined) out.device = f.device;
  return out;
}
