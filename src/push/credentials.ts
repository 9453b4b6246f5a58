import { createHash } from 'node:crypto';
import type { Static } from 'typebox';
import type { PushCredentialsRecord, PushKind, PushStore } from '../store/push-store.ts';
import type { ApnsConfigBody, FcmConfigBody, WebPushConfigBody } from '../protocol/push.ts';
import { Errors } from '../errors.ts';
import { checkUrl } from '../domain/urls.ts';
import { generateVapidKeys, type VapidCredentials } from './webpush.ts';
import { FcmProvider, FCM_BASE_URL, GOOGLE_TOKEN_URL, type FcmCredentials } from './fcm.ts';
import { ApnsProvider, APNS_PRODUCTION_URL, APNS_SANDBOX_URL, type ApnsCredentials } from './apns.ts';

/**
 * Provider credentials per app (store.push credentials table, never the settings JSON). Each is
 * stored as `config` (shown by the admin API) and `secret` (write-only: the API shows a fingerprint).
 */
export const DEFAULT_VAPID_SUBJECT = 'mailto:push@xpush.invalid';

/** VAPID keys for a new app, so browsers can subscribe before anyone configures anything. */
export async function createVapidKeys(store: PushStore, appId: string, subject = DEFAULT_VAPID_SUBJECT): Promise<void> {
  const k = generateVapidKeys();
  await store.putCredentials({ appId, provider: 'webpush', config: { subject, publicKey: k.publicKey }, secret: { privateKey: k.privateKey }, updatedAt: Date.now() });
}

/** The app's VAPID public key; an app made before push existed gets its keys now. */
export async function vapidPublicKey(store: PushStore, appId: string): Promise<string> {
  let wp = (await store.credentials(appId)).find((c) => c.provider === 'webpush');
  if (!wp) {
    await createVapidKeys(store, appId);
    wp = (await store.credentials(appId)).find((c) => c.provider === 'webpush');
  }
  return String(wp!.config.publicKey);
}

export async function putWebPush(store: PushStore, appId: string, b: Static<typeof WebPushConfigBody>): Promise<PushCredentialsRecord> {
  if ((b.publicKey === undefined) !== (b.privateKey === undefined)) throw Errors.badRequest.with('give both publicKey and privateKey, or neither');
  const old = (await store.credentials(appId)).find((c) => c.provider === 'webpush');
  const keys = b.publicKey && b.privateKey ? { publicKey: b.publicKey, privateKey: b.privateKey }
    : old ? { publicKey: String(old.config.publicKey), privateKey: String(old.secret.privateKey) } : generateVapidKeys();
  if (Buffer.from(keys.publicKey, 'base64url').length !== 65 || Buffer.from(keys.privateKey, 'base64url').length !== 32) {
    throw Errors.badRequest.with('VAPID keys must be a P-256 key pair: publicKey 65 bytes, privateKey 32 bytes, URL-safe base64');
  }
  if (b.subject !== undefined) checkUrl('subject', b.subject, ['mailto:', 'https:']);
  const subject = b.subject ?? (old ? String(old.config.subject) : DEFAULT_VAPID_SUBJECT);
  return put(store, { appId, provider: 'webpush', config: { subject, publicKey: keys.publicKey }, secret: { privateKey: keys.privateKey }, updatedAt: Date.now() });
}

export async function putFcm(store: PushStore, appId: string, b: Static<typeof FcmConfigBody>): Promise<PushCredentialsRecord> {
  const sa = b.serviceAccount;
  if (b.baseUrl !== undefined) checkUrl('baseUrl', b.baseUrl, ['http:', 'https:']);
  if (b.tokenUrl !== undefined) checkUrl('tokenUrl', b.tokenUrl, ['http:', 'https:']);
  await FcmProvider.checkKey(sa.private_key).catch(() => {
    throw Errors.badRequest.with('serviceAccount.private_key is not a PKCS#8 RSA private key (PEM)');
  });
  return put(store, {
    appId, provider: 'fcm',
    config: {
      projectId: sa.project_id, clientEmail: sa.client_email, ...(sa.private_key_id ? { privateKeyId: sa.private_key_id } : {}),
      baseUrl: trimSlash(b.baseUrl ?? FCM_BASE_URL), tokenUrl: b.tokenUrl ?? GOOGLE_TOKEN_URL,
    },
    secret: { privateKey: sa.private_key },
    updatedAt: Date.now(),
  });
}

export async function putApns(store: PushStore, appId: string, b: Static<typeof ApnsConfigBody>): Promise<PushCredentialsRecord> {
  if (b.productionUrl !== undefined) checkUrl('productionUrl', b.productionUrl, ['https:']);
  if (b.sandboxUrl !== undefined) checkUrl('sandboxUrl', b.sandboxUrl, ['https:']);
  await ApnsProvider.checkKey(b.key).catch(() => {
    throw Errors.badRequest.with('key is not a PKCS#8 P-256 private key (the .p8 file from Apple, PEM)');
  });
  return put(store, {
    appId, provider: 'apns',
    config: {
      keyId: b.keyId, teamId: b.teamId, topic: b.topic,
      productionUrl: trimSlash(b.productionUrl ?? APNS_PRODUCTION_URL), sandboxUrl: trimSlash(b.sandboxUrl ?? APNS_SANDBOX_URL),
    },
    secret: { key: b.key },
    updatedAt: Date.now(),
  });
}

async function put(store: PushStore, rec: PushCredentialsRecord): Promise<PushCredentialsRecord> {
  await store.putCredentials(rec);
  return rec;
}

/** What the admin API shows: config in clear, each secret as a fingerprint only. */
export function redact(c: PushCredentialsRecord): { provider: PushKind; config: Record<string, unknown>; secrets: Record<string, string>; updatedAt: number } {
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.secret)) secrets[k] = 'sha256:' + createHash('sha256').update(String(v)).digest('hex').slice(0, 16);
  return { provider: c.provider, config: c.config, secrets, updatedAt: c.updatedAt };
}

export function vapidOf(c: PushCredentialsRecord): VapidCredentials {
  return { subject: String(c.config.subject), publicKey: String(c.config.publicKey), privateKey: String(c.secret.privateKey) };
}

export function fcmOf(c: PushCredentialsRecord): FcmCredentials {
  const k = c.config as Record<string, string>;
  return { projectId: k.projectId!, clientEmail: k.clientEmail!, privateKeyId: k.privateKeyId, baseUrl: k.baseUrl!, tokenUrl: k.tokenUrl!, privateKey: String(c.secret.privateKey) };
}

export function apnsOf(c: PushCredentialsRecord): ApnsCredentials {
  const k = c.config as Record<string, string>;
  return { keyId: k.keyId!, teamId: k.teamId!, topic: k.topic!, productionUrl: k.productionUrl!, sandboxUrl: k.sandboxUrl!, key: String(c.secret.key) };
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
