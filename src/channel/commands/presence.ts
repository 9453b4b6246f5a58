import type { Conn } from '../conn.ts';
import { authorize } from '../../domain/channels.ts';
import { Errors } from '../../errors.ts';
import { channelOf } from './args.ts';

/** presence {channel} → {presence: {clientId: {user, client, conn_info: {device}, chan_info?}}} */
export async function presence(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  const channel = channelOf(body, 'presence');
  await authorize(c.ctx.core, c.app, channel, c.user);
  const entries = await c.ctx.core.presence.get(c.app, channel);
  const out: Record<string, unknown> = {};
  for (const [id, e] of Object.entries(entries)) {
    out[id] = { user: e.user, client: e.client, conn_info: { device: e.device }, ...(e.info !== undefined ? { chan_info: e.info } : {}) };
  }
  return { presence: out };
}

export async function presenceStats(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  const channel = channelOf(body, 'presence_stats');
  await authorize(c.ctx.core, c.app, channel, c.user);
  const s = await c.ctx.core.presence.stats(c.app, channel);
  return { num_clients: s.numClients, num_users: s.numUsers };
}
