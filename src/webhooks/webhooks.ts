import type { Core } from '../domain/context.ts';
import { WebhookEmitter } from './emitter.ts';
import { WebhookSender } from './sender.ts';
import type { Occupancy } from './occupancy.ts';
import { MemoryOccupancy } from './occupancy-memory.ts';

export interface Webhooks {
  readonly emitter: WebhookEmitter;
  readonly sender: WebhookSender;
  /** Starts delivering (the server's start). */
  start(): void;
  /** Ordered shutdown: stop counting occupancy, write the queued events, let the sends finish. */
  close(): Promise<void>;
}

/**
 * Webhooks (docs/webhooks.md): subscribes the emitter to the after-hooks that carry the events,
 * and starts this node's sender. Runs on every role: events arise on channel servers (occupancy,
 * presence, publishes) and session servers (membership through the HTTP API, push), and any node
 * may deliver any app's queue.
 */
export async function startWebhooks(core: Core): Promise<Webhooks> {
  const sender = new WebhookSender(core);
  const emitter = new WebhookEmitter(core, (app) => sender.wake(app));
  const occupancy = await openOccupancy(core);
  await occupancy.start({
    occupied: (app, channel) => emitter.emit(app, 'channel.occupied', { channel }),
    vacated: (app, channel) => emitter.emit(app, 'channel.vacated', { channel }),
  });
  const { hooks } = core;
  // Lowest priority: in-process hooks registered by the app run first.
  const last = -1000;
  hooks.add('afterSubscribe', (p) => occupancy.joined(p.app, p.channel), last);
  hooks.add('afterUnsubscribe', (p) => occupancy.left(p.app, p.channel), last);
  hooks.add('afterMemberAdded', (p) => emitter.emit(p.app, 'member.added', { channel: p.channel, user: p.user }), last);
  hooks.add('afterMemberRemoved', (p) => emitter.emit(p.app, 'member.removed', { channel: p.channel, user: p.user }), last);
  hooks.add('afterUserOnline', (p) => emitter.emit(p.app, 'user.online', { user: p.user }), last);
  hooks.add('afterUserOffline', (p) => emitter.emit(p.app, 'user.offline', { user: p.user }), last);
  hooks.add('afterPushFailed', ({ app, ...failure }) => emitter.emit(app, 'push.failed', failure), last);
  hooks.add('afterPublish', ({ app, message: m }) => {
    // Per message: most apps want no message webhook, so nothing is built for them.
    if (emitter.unwanted(app, 'message.published', m.channel)) return;
    emitter.emit(app, 'message.published', {
      channel: m.channel, offset: m.offset, id: m.id, event: m.event, data: m.data,
      user: m.senderUser, device: m.senderDevice, client: m.senderClient, time: m.time,
    }, m.time);
  }, last);
  return {
    emitter, sender,
    start: () => sender.start(),
    async close() {
      await occupancy.close();
      await emitter.flush();
      await sender.stop();
    },
  };
}

async function openOccupancy(core: Core): Promise<Occupancy> {
  const b = core.config.broker;
  if (b.kind === 'memory') return new MemoryOccupancy();
  const { RedisOccupancy } = await import('./occupancy-redis.ts');
  return new RedisOccupancy(b.url, b.prefix ?? 'xpush:', core.nodeId, core.config.presenceTtlMs, core.log);
}
