import type { Core } from '../domain/context.ts';
import type { MessageRecord } from '../store/store.ts';
import { resolvePushConfig, type PushConfig } from './config.ts';
import { ProviderRegistry } from './registry.ts';
import { Dispatcher } from './dispatcher.ts';
import { notifyMessage } from './notify.ts';
import { TargetIndex } from './target-index.ts';

/**
 * Push to offline devices, wired into one server: stored messages queue notifications (afterPublish),
 * the dispatcher drains the durable outbox through each app's providers. `core.push` is this object.
 */
export class PushService {
  readonly config: PushConfig;
  readonly registry: ProviderRegistry;
  private readonly dispatcher: Dispatcher | undefined;
  /** Which apps have any push target (skips all push work for messages of apps without). */
  readonly targets: TargetIndex;

  constructor(private readonly core: Core, input: Partial<PushConfig> | undefined) {
    this.config = resolvePushConfig(input);
    this.registry = new ProviderRegistry(core.store.push, this.config, core.log);
    this.targets = new TargetIndex(core.store.push);
    this.dispatcher = this.config.dispatch ? new Dispatcher(core, this.registry, this.config, core.nodeId) : undefined;
  }

  /** Queues notifications for a stored message; failures are logged (the message itself is already stored and delivered). */
  onMessage(rec: MessageRecord): void {
    const has = this.targets.has(rec.appId);
    if (has === false) return;
    const queued = has === true ? notifyMessage(this.core, rec) : has.then((yes) => (yes ? notifyMessage(this.core, rec) : undefined));
    queued.then(
      (dueAt) => { if (dueAt !== undefined) this.wake(dueAt); },
      (err: unknown) => this.core.log.warn({ err, app: rec.appId, channel: rec.channel }, 'queueing push notifications failed'),
    );
  }

  wake(at?: number): void {
    this.dispatcher?.wake(at);
  }

  /** Credentials changed on this node: rebuild that app's providers on next use. */
  forget(appId: string): void {
    this.registry.forget(appId);
  }

  start(): void {
    this.dispatcher?.start();
  }

  async close(): Promise<void> {
    await this.dispatcher?.stop();
    await this.registry.close();
  }
}
