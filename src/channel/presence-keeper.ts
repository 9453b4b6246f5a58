import type { Core } from '../domain/context.ts';
import type { Hub } from './hub.ts';
import type { PresenceEntry } from '../presence/presence.ts';
import { channelTopic, encodeEvent } from '../protocol/events.ts';
import { Push } from '../protocol/frames.ts';

/**
 * Cluster presence upkeep: every third of the TTL this node refreshes the entries of its own
 * connections, and claims the entries whose node stopped refreshing (it died) to announce their
 * leave events. `expired()` hands each lapsed entry to exactly one node, so each leave is sent once.
 */
export function startPresenceKeeper(core: Core, hub: Hub): () => void {
  if (core.presence.kind === 'memory') return () => undefined;
  let busy = false;
  const tick = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const entries: PresenceEntry[] = [];
      for (const c of hub.clients) {
        for (const channel of c.channels()) entries.push({ appId: c.app, channel, user: c.user, client: c.id, device: c.device, info: c.info });
      }
      if (entries.length) await core.presence.touch(entries);
      for (const e of await core.presence.expired()) {
        const info = { user: e.user, client: e.client, conn_info: { device: e.device } };
        await core.broker.publish(channelTopic(e.appId, e.channel), encodeEvent('l', 0, JSON.stringify(Push.leave(e.channel, info))));
      }
    } catch (err) {
      core.log.warn({ err, component: `presence (${core.broker.kind})`, setting: 'broker.url' }, 'presence upkeep failed; retrying next tick');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), Math.max(200, Math.floor(core.config.presenceTtlMs / 3)));
  timer.unref();
  return () => clearInterval(timer);
}
