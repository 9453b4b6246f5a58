import { randomBytes } from 'node:crypto';
import type { Core } from '../domain/context.ts';
import type { PushKind, PushMode, PushTargetRecord } from '../store/push-store.ts';
import type { PushModeView, PushRegisterBody, PushTargetView } from '../protocol/push.ts';
import { Errors } from '../errors.ts';
import { authorize } from '../domain/channels.ts';
import { webPushHostAllowed } from './config.ts';

/** Who registers: a user on one device (a connection, or a Bearer access token). */
export interface Device { app: string; user: string; device: string }

/**
 * A device registers where it receives pushes (one target per provider per device: a new token
 * replaces the old). Web Push endpoints must be https and on an allowed host (config.push.webPushHosts).
 */
export async function registerTarget(core: Core, d: Device, b: PushRegisterBody): Promise<PushTargetView> {
  const base = { appId: d.app, id: 'pt_' + randomBytes(9).toString('base64url'), userId: d.user, deviceId: d.device, keys: null, environment: null, createdAt: Date.now() };
  let t: PushTargetRecord;
  const only = (allowed: string[]) => {
    const extra = (['subscription', 'token', 'environment'] as const).filter((k) => b[k] !== undefined && !allowed.includes(k));
    if (extra.length) throw Errors.badRequest.with(`${extra.join(', ')}: not used with kind ${b.kind}`);
  };
  if (b.kind === 'webpush') {
    only(['subscription']);
    if (!b.subscription) throw Errors.badRequest.with('subscription: required for kind webpush (PushSubscription.toJSON())');
    const u = safeUrl(b.subscription.endpoint);
    const allowed = core.push?.config.webPushHosts ?? [];
    if (!u || u.protocol !== 'https:') throw Errors.badRequest.with('subscription.endpoint must be an https URL');
    if (!core.push || !webPushHostAllowed(core.push.config, u.hostname)) {
      throw Errors.badRequest.with(`subscription.endpoint host ${u.hostname} is not a known push service (allowed: ${allowed.join(', ')}; config.push.webPushHosts)`);
    }
    if (Buffer.from(b.subscription.keys.p256dh, 'base64url').length !== 65) throw Errors.badRequest.with('subscription.keys.p256dh must be a 65-byte P-256 public key (URL-safe base64)');
    if (Buffer.from(b.subscription.keys.auth, 'base64url').length < 16) throw Errors.badRequest.with('subscription.keys.auth must be at least 16 bytes (URL-safe base64)');
    t = { ...base, kind: 'webpush', token: b.subscription.endpoint, keys: { p256dh: b.subscription.keys.p256dh, auth: b.subscription.keys.auth } };
  } else if (b.kind === 'fcm') {
    only(['token']);
    if (!b.token) throw Errors.badRequest.with('token: required for kind fcm (the FCM registration token)');
    t = { ...base, kind: 'fcm', token: b.token };
  } else {
    only(['token', 'environment']);
    if (!b.token || !/^[0-9a-fA-F]{32,200}$/.test(b.token)) throw Errors.badRequest.with('token: required for kind apns, the device token in hex');
    t = { ...base, kind: 'apns', token: b.token.toLowerCase(), environment: b.environment ?? 'production' };
  }
  const stored = await core.store.push.registerTarget(t);
  core.push?.targets.registered(t.appId);
  return viewOf(stored);
}

/** Removes the device's targets (one kind, or all); returns how many. */
export async function unregisterTargets(core: Core, d: Device, kind?: PushKind): Promise<number> {
  return (await core.store.push.removeTargets(d.app, { userId: d.user, deviceId: d.device, kind })).length;
}

export async function listTargets(core: Core, app: string, user: string, device?: string): Promise<PushTargetView[]> {
  const all = await core.store.push.targets(app, [user]);
  return all.filter((t) => device === undefined || t.deviceId === device).map(viewOf);
}

/** Logout: the device's targets go with its session (no pushes to a logged-out phone). */
export async function forgetDevice(core: Core, app: string, user: string, device: string): Promise<void> {
  await core.store.push.removeTargets(app, { userId: user, deviceId: device });
}

/** The member's push mode in a channel they may read; `default` reads as the app's defaultMode. */
export async function getMode(core: Core, app: string, user: string, channel: string): Promise<PushModeView> {
  await authorize(core, app, channel, user);
  const m = (await core.store.push.modes(app, channel, [user])).get(user);
  if (m) return { channel, mode: m, isDefault: false };
  const a = await core.apps.get(app);
  return { channel, mode: a?.settings.push.defaultMode ?? 'all', isDefault: true };
}

export async function setMode(core: Core, app: string, user: string, channel: string, mode: PushMode | 'default'): Promise<PushModeView> {
  await authorize(core, app, channel, user);
  await core.store.push.setMode(app, user, channel, mode === 'default' ? null : mode);
  return getMode(core, app, user, channel);
}

export function viewOf(t: PushTargetRecord): PushTargetView {
  const hint = t.kind === 'webpush' ? (safeUrl(t.token)?.hostname ?? '') : t.token.slice(-6);
  return { id: t.id, user: t.userId, device: t.deviceId, kind: t.kind, hint, ...(t.environment ? { environment: t.environment } : {}), createdAt: t.createdAt };
}

function safeUrl(s: string): URL | undefined {
  try { return new URL(s); } catch { return undefined; }
}
