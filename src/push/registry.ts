import type { Logger } from 'pino';
import type { PushKind, PushStore } from '../store/push-store.ts';
import type { PushProvider } from './provider.ts';
import { trustedCa, type PushConfig } from './config.ts';
import { WebPushProvider } from './webpush.ts';
import { FcmProvider } from './fcm.ts';
import { ApnsProvider } from './apns.ts';
import { apnsOf, fcmOf, vapidOf } from './credentials.ts';

interface Entry { version: number; checkedAt: number; providers: Map<PushKind, PushProvider> }

/**
 * Each app's providers, built from its stored credentials and kept (connections, cached tokens)
 * until the credentials change. Freshness is checked at most every `ttlMs` (one cheap query); a
 * change made on this node is seen at once (`forget`), on another within ttlMs.
 */
export class ProviderRegistry {
  private readonly apps = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();

  constructor(private readonly store: PushStore, private readonly cfg: PushConfig, private readonly log: Logger, private readonly ttlMs = 5000) {}

  async get(appId: string, kind: PushKind): Promise<PushProvider | undefined> {
    return (await this.entry(appId)).providers.get(kind);
  }

  forget(appId: string): void {
    const e = this.apps.get(appId);
    this.apps.delete(appId);
    if (e) this.closeAll(e);
  }

  async close(): Promise<void> {
    const all = [...this.apps.values()];
    this.apps.clear();
    await Promise.all(all.map((e) => this.closeAll(e)));
  }

  private async entry(appId: string): Promise<Entry> {
    const e = this.apps.get(appId);
    if (e && Date.now() - e.checkedAt < this.ttlMs) return e;
    let p = this.loading.get(appId);
    if (!p) {
      p = this.refresh(appId, e).finally(() => this.loading.delete(appId));
      this.loading.set(appId, p);
    }
    return p;
  }

  private async refresh(appId: string, old: Entry | undefined): Promise<Entry> {
    const version = await this.store.credentialsVersion(appId);
    if (old && old.version === version) {
      old.checkedAt = Date.now();
      return old;
    }
    const providers = new Map<PushKind, PushProvider>();
    const opts = { ca: trustedCa(this.cfg), timeoutMs: this.cfg.requestTimeoutMs };
    for (const c of await this.store.credentials(appId)) {
      if (c.provider === 'webpush') providers.set('webpush', new WebPushProvider(vapidOf(c), opts));
      else if (c.provider === 'fcm') providers.set('fcm', new FcmProvider(fcmOf(c), opts.timeoutMs));
      else if (c.provider === 'apns') providers.set('apns', new ApnsProvider(apnsOf(c), opts));
    }
    const e: Entry = { version, checkedAt: Date.now(), providers };
    if (this.apps.size >= 10_000) this.forget(this.apps.keys().next().value as string);
    this.apps.set(appId, e);
    if (old) this.closeAll(old);
    return e;
  }

  private async closeAll(e: Entry): Promise<void> {
    await Promise.all([...e.providers.values()].map((p) => p.close().catch((err: unknown) => this.log.warn({ err }, 'push provider close failed'))));
  }
}
