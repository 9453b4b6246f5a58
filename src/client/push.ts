import type { PushModeView, PushRegisterBody, PushTargetView, PushTargets, PushRemoved, VapidKey } from '../protocol/types.generated.ts';
import { XPushError } from '../errors.ts';
import type { SessionClient } from './session.ts';

export type { PushModeView, PushTargetView };
export type PushKind = 'webpush' | 'fcm' | 'apns';
export type PushMode = 'all' | 'mentions' | 'none';

/** A browser PushSubscription (or its toJSON()). */
export interface PushSubscriptionLike {
  endpoint: string;
  toJSON?(): unknown;
  keys?: { p256dh: string; auth: string };
}

/** What registerPush takes: the wire body, or a browser PushSubscription as is. */
export type PushTargetInput = PushRegisterBody | PushSubscriptionLike;

/** The push part of the session server's HTTP API, for the logged-in device (docs/http-api.md "Push"). */
export class PushClient {
  constructor(private readonly session: SessionClient, private readonly appKey: string | undefined) {}

  register(target: PushTargetInput): Promise<PushTargetView> {
    return this.session.request('PUT', `${this.session.appPath}/me/push`, toBody(target), this.bearer());
  }

  async unregister(kind?: PushKind): Promise<number> {
    const q = kind ? `?kind=${kind}` : '';
    return (await this.session.request<PushRemoved>('DELETE', `${this.session.appPath}/me/push${q}`, undefined, this.bearer())).removed;
  }

  async targets(): Promise<PushTargetView[]> {
    return (await this.session.request<PushTargets>('GET', `${this.session.appPath}/me/push`, undefined, this.bearer())).targets;
  }

  mode(channel: string): Promise<PushModeView> {
    return this.session.request('GET', `${this.session.appPath}/me/push/channels/${encodeURIComponent(channel)}`, undefined, this.bearer());
  }

  setMode(channel: string, mode: PushMode | 'default'): Promise<PushModeView> {
    return this.session.request('PUT', `${this.session.appPath}/me/push/channels/${encodeURIComponent(channel)}`, { mode }, this.bearer());
  }

  async vapidPublicKey(): Promise<string> {
    if (!this.appKey) throw new TypeError('XPush: options.appKey is required for vapidPublicKey');
    return (await this.session.request<VapidKey>('GET', `${this.session.appPath}/push/vapid`, undefined, { 'x-app-key': this.appKey })).publicKey;
  }

  private bearer(): Record<string, string> {
    const t = this.session.tokens;
    if (!t) throw new XPushError(101, 'not logged in: call login() or useToken() first');
    return { authorization: `Bearer ${t.accessToken}` };
  }
}

function toBody(t: PushTargetInput): PushRegisterBody {
  if ('kind' in t) return t as PushRegisterBody;
  const j = (typeof t.toJSON === 'function' ? t.toJSON() : t) as { endpoint: string; keys: { p256dh: string; auth: string } };
  return { kind: 'webpush', subscription: { endpoint: j.endpoint, keys: { p256dh: j.keys?.p256dh, auth: j.keys?.auth } } };
}
