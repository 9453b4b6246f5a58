import type { Centrifuge } from 'centrifuge';

export interface Close {
  code: number;
  reason: string;
  /** True when the SDK goes on to reconnect (a `connecting` transition), false when it stopped. */
  reconnecting: boolean;
}

/**
 * Every time a centrifuge client leaves the connected state, with the code and whether it will
 * reconnect: how a test tells a terminal disconnect (3500–3999) from a reconnecting one.
 */
export function closesOf(c: Centrifuge): Close[] {
  const got: Close[] = [];
  let connected = c.state === 'connected';
  c.on('connected', () => { connected = true; });
  c.on('connecting', (ctx) => {
    if (connected) got.push({ code: ctx.code, reason: ctx.reason, reconnecting: true });
    connected = false;
  });
  c.on('disconnected', (ctx) => {
    got.push({ code: ctx.code, reason: ctx.reason, reconnecting: false });
    connected = false;
  });
  return got;
}
