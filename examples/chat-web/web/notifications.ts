import type { XPush } from '../../../src/client/index.ts';

/** How long subscribe() may take: it registers with the browser's push service (FCM for Chrome), which can hang when unreachable. */
const SUBSCRIBE_TIMEOUT_MS = 20_000;

/** Web Push needs a secure context (HTTPS, or http://localhost), a service worker and the Push API. */
export function pushSupported(): boolean {
  return window.isSecureContext && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/**
 * Turns on notifications for this device: (asks the permission,) registers the service worker
 * (`/sw.js`, which shows the pushes), subscribes with the app's VAPID public key and registers the
 * subscription as this device's push target. The server then pushes each message of the user's
 * channels while none of their devices is connected. `ask` must come from a click (browsers
 * ignore permission prompts that do not); without it this only renews a permission given before.
 */
export async function enableNotifications(xp: XPush, ask: boolean): Promise<void> {
  if (!pushSupported()) throw new Error('needs HTTPS (or localhost) and a browser with Web Push');
  const permission = ask ? await Notification.requestPermission() : Notification.permission;
  if (permission !== 'granted') throw new Error(permission === 'denied' ? 'blocked in the browser settings' : 'not allowed');
  const reg = await navigator.serviceWorker.register('/sw.js');
  await navigator.serviceWorker.ready;
  const key = await xp.vapidPublicKey();
  let sub = await reg.pushManager.getSubscription();
  if (sub && b64url(sub.options.applicationServerKey) !== key) {
    await sub.unsubscribe(); // made with another key (the app's keys were replaced): the push service would refuse ours
    sub = null;
  }
  sub ??= await withTimeout(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }), SUBSCRIBE_TIMEOUT_MS);
  await xp.registerPush(sub);
}

function b64url(key: ArrayBuffer | null): string {
  if (!key) return '';
  return btoa(String.fromCharCode(...new Uint8Array(key))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the browser\'s push service did not answer')), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
