import type { Core } from '../domain/context.ts';
import type { Hub } from './hub.ts';
import type { PresenceEntry } from '../presence/presence.ts';
import type { UserConnection } from '../presence/user-presence.ts';
import { channelTopic, encodeEvent } from '../protocol/events.ts';
import { Push } from '../protocol/frames.ts';

/**
 * Presence upkeep on a channel node:
 * - heartbeat (cluster, every third of presenceTtlMs): refresh the channel presence entries and the
 *   user-presence connections of this node's clients, then sweep user presence (claims the
 *   connections of nodes that died and the offline transitions that are due);
 * - expiry (every node, more often): announce the leave of each presence entry that lapsed — a dead
 *   node's, or one that lingered after its connection dropped and was not taken over by the same
 *   device within presenceDelayMs. `expired()` hands each lapsed entry to exactly one node, so each
 *   leave is sent once.
 */
export function startPresenceKeeper(core: Core, hub: Hub): () => void {
  const { presenceTtlMs, presenceDelayMs } = core.config;
  const cluster = core.presence.kind !== 'memory' || core.userPresence.kind !== 'memory';
  const beatMs = Math.max(200, Math.floor(presenceTtlMs / 3));
  // Lingering entries lapse presenceDelayMs after the drop: look often enough that the leave follows soon after.
  const everyMs = Math.max(100, Math.min(beatMs, Math.floor(presenceDelayMs / 5)));
  let lastBeat = 0;
  let busy = false;
  const tick = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      if (cluster && Date.now() - lastBeat >= beatMs) {
        lastBeat = Date.now();
        await heartbeat(core, hub);
      }
      for (const e of await core.presence.expired()) {
        const info = { user: e.user, client: e.client, conn_info: { device: e.device }, ...(e.info !== undefined ? { chan_info: e.info } : {}) };
        await core.broker.publish(channelTopic(e.appId, e.channel), encodeEvent('l', 0, JSON.stringify(Push.leave(e.channel, info))));
      }
    } catch (err) {
      core.log.warn({ err, component: `presence (${core.broker.kind})`, setting: 'broker.url' }, 'presence upkeep failed; retrying next tick');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

async function heartbeat(core: Core, hub: Hub): Promise<void> {
  // Snapshot and send in one synchronous step: a client closing later queues its presence removal
  // after these refreshes on the same Redis connection, so a refresh never revives a closed client.
  const entries: PresenceEntry[] = [];
  const connections: UserConnection[] = [];
  for (const c of hub.clients) {
    connections.push({ app: c.app, user: c.user, client: c.id });
    for (const channel of c.channels()) entries.push({ appId: c.app, channel, user: c.user, client: c.id, device: c.device, info: c.info });
  }
  const results = await Promise.allSettled([entries.length ? core.presence.touch(entries) : undefined, core.userPresence.touch(connections)]);
  for (const r of results) if (r.status === 'rejected') core.log.warn({ err: r.reason }, 'presence heartbeat failed');
  await core.userPresence.sweep();
}
