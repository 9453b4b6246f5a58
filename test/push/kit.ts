// A server wired to the three provider fakes: its app configured through the admin API (FCM and APNs
// pointed at the fakes, the test CA trusted through config.push.ca, 127.0.0.1 allowed as a Web Push
// host), and helpers to register users' devices and read what each fake got.
import type { TestContext } from 'node:test';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import type { ConfigInput } from '../../src/config.ts';
import type { PushConfig } from '../../src/push/config.ts';
import { startWebPushFake, type WebPushFake, type BrowserSubscription } from '../fakes/webpush-fake.ts';
import { startFcmFake, type FcmFake } from '../fakes/fcm-fake.ts';
import { startApnsFake, type ApnsFake } from '../fakes/apns-fake.ts';
import { testCa } from '../fakes/test-ca.ts';

export interface PushWorld {
  ts: TestServer;
  app: TestApp;
  webpush: WebPushFake;
  fcm: FcmFake;
  apns: ApnsFake;
  admin: Record<string, string>;
}

export async function startFakes(t: { after(fn: () => unknown): void }): Promise<{ webpush: WebPushFake; fcm: FcmFake; apns: ApnsFake; ca: string }> {
  const [webpush, fcm, apns] = await Promise.all([startWebPushFake(), startFcmFake(), startApnsFake()]);
  t.after(() => Promise.all([webpush.close(), fcm.close(), apns.close()]));
  return { webpush, fcm, apns, ca: (await testCa()).caPem };
}

/** Server config for talking to the fakes: the test CA, 127.0.0.1 as a Web Push host, quick polling and retries. */
export function pushConfig(ca: string, over: Partial<PushConfig> = {}): Partial<PushConfig> {
  return { ca, webPushHosts: ['127.0.0.1'], pollMs: 100, backoffMs: 200, ...over };
}

/** The app's providers pointed at the fakes, through the admin API as an operator would. */
export async function configureProviders(ts: TestServer, app: TestApp, f: { webpush: WebPushFake; fcm: FcmFake; apns: ApnsFake }): Promise<void> {
  const admin = { authorization: `Bearer ${ts.adminToken}` };
  const put = async (provider: string, body: unknown) => {
    const r = await ts.http('PUT', `/v1/admin/apps/${app.id}/push/${provider}`, body, admin);
    if (r.status !== 200) throw new Error(`configure ${provider}: ${r.status} ${JSON.stringify(r.body)}`);
  };
  await put('fcm', { serviceAccount: f.fcm.serviceAccount, baseUrl: f.fcm.url, tokenUrl: `${f.fcm.url}/token` });
  await put('apns', { ...f.apns.credentials, productionUrl: f.apns.url, sandboxUrl: f.apns.url });
  await put('webpush', { subject: 'mailto:ops@example.com' });
  const vapid = await ts.http('GET', `/v1/apps/${app.id}/push/vapid`, undefined, { 'x-app-key': app.key });
  f.webpush.expectVapidKey(vapid.body.publicKey);
}

export async function startPushWorld(t: TestContext, config: ConfigInput = {}, settings: Record<string, unknown> = {}): Promise<PushWorld> {
  const fakes = await startFakes(t);
  const ts = await startServer(t, { ...config, push: pushConfig(fakes.ca, config.push) });
  const app = await ts.createApp('push-app');
  const admin = { authorization: `Bearer ${ts.adminToken}` };
  await configureProviders(ts, app, fakes);
  const s = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { push: { delayMs: 300, throttleMs: 1000, ...settings } }, admin);
  if (s.status !== 200) throw new Error(`settings: ${s.status} ${JSON.stringify(s.body)}`);
  return { ts, app, ...fakes, admin };
}

/** An APNs device token (64 hex digits) that says which device it is. */
export function apnsToken(n: number): string {
  return n.toString(16).padStart(64, 'a');
}

/** PUT /me/push with a device's access token; throws unless 200. */
export async function register(ts: TestServer, app: TestApp, accessToken: string, body: unknown): Promise<any> {
  const r = await ts.http('PUT', `/v1/apps/${app.id}/me/push`, body, { authorization: `Bearer ${accessToken}` });
  if (r.status !== 200) throw new Error(`register push: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export function webpushBody(s: BrowserSubscription): unknown {
  return { kind: 'webpush', subscription: s.json };
}

/** Pending outbox rows (not yet delivered, retries included). */
export function depth(ts: TestServer): Promise<number> {
  return ts.server.core.store.push.depth();
}

/** Waits this long with nothing to poll for: only to show that something does NOT happen. */
export function quiet(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
