// The demo's service worker (/sw.js): shows the server's Web Push notifications while no tab of
// the chat is connected, and opens the chat at the message's channel when one is clicked.

/** The part of the service worker scope this file uses (tsconfig has the DOM lib, not WebWorker). */
interface WindowClientLike { url: string; focus(): Promise<unknown>; postMessage(m: unknown): void }
interface Scope {
  registration: ServiceWorkerRegistration;
  clients: { matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClientLike[]>; openWindow(url: string): Promise<unknown> };
  location: Location;
  addEventListener(type: 'push', fn: (e: { data: { json(): unknown } | null; waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'notificationclick', fn: (e: { notification: Notification; waitUntil(p: Promise<unknown>): void }) => void): void;
}
declare const self: Scope;

/** What XPUSH sends (README "Push notifications"): a data-only push has no title. */
interface PushPayload { title?: string; body?: string; tag?: string; data?: { channel?: string } }

self.addEventListener('push', (e) => {
  const n = (e.data?.json() ?? {}) as PushPayload;
  if (!n.title) return;
  // tag: one notification per channel, replaced by the newest (renotify: still alert for it).
  e.waitUntil(self.registration.showNotification(n.title, { body: n.body, tag: n.tag, renotify: Boolean(n.tag), data: n.data } as NotificationOptions));
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const channel = (e.notification.data as PushPayload['data'])?.channel ?? '';
  e.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((tabs) => {
    const tab = tabs.find((c) => new URL(c.url).origin === self.location.origin);
    if (!tab) return self.clients.openWindow('/#' + encodeURIComponent(channel));
    tab.postMessage({ type: 'open', channel });
    return tab.focus();
  }));
});
