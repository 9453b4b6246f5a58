// The web chat demo's files and Web Push in a real Chromium (two browser contexts):
// - alice attaches an image and a text file; bob sees the link (and the image's thumbnail) live,
//   downloads both with the same bytes, and finds them again in history after a reload; a file
//   over the app's limit shows the server's refusal.
// - notifications refused by the browser, or on plain HTTP under a name other than localhost (not
//   a secure context: no Web Push), are reported on the page; the chat itself works there.
// - bob turns notifications on: the page asks the permission, registers /sw.js, subscribes with the
//   app's VAPID public key and registers the subscription as his device's push target; with his tab
//   gone, alice's message is pushed by the server to that endpoint and shown by his service worker.
// What stands in for what: Chromium's own subscribe() talks to Google's push service (FCM), which
// cannot be reached here (in Playwright's contexts it is refused outright: "Registration failed -
// permission denied"). So the test replaces that one browser call: PushManager.subscribe returns a
// subscription on the local Web Push fake (test/fakes/webpush-fake.ts), which checks the server's
// VAPID signature and decrypts the payload as a browser would. The fake's hand-over to the browser
// is then done through DevTools (ServiceWorker.deliverPushMessage) into the real service worker,
// and the notification is read back with registration.getNotifications().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { startChatDemo, LOBBY } from '../../examples/chat-web/server.ts';
import { startBuilt, testConfig, waitFor } from '../e2e/e2e-kit.ts';
import { api } from '../helpers/clients.ts';
import { png } from '../helpers/files.ts';
import { launchChromium, noChromium, screenshot, watchErrors } from '../helpers/browser.ts';
import { startWebPushFake } from '../fakes/webpush-fake.ts';
import { pushConfig } from '../push/kit.ts';
import { register } from './chat-demo-kit.ts';


/** The thumbnail of `name` has loaded (decoded by the browser) at this width. */
function thumbLoaded(page: Page, name: string, width: number): Promise<unknown> {
  return page.waitForFunction(([n, w]) => {
    const img = document.querySelector(`#log img.thumb[alt="${n}"]`) as HTMLImageElement | null;
    return img !== null && img.complete && img.naturalWidth === w;
  }, [name, width] as const);
}

/**
 * A page script replacing the browser's push service: subscribe() hands out this subscription and
 * records the applicationServerKey the page passed (as `window.subscribedWith`). A string, not a
 * function: tsx would put helpers the page does not have into a serialized function.
 */
function fakeSubscribe(json: { endpoint: string }): string {
  return `(() => {
    const json = ${JSON.stringify(json)};
    let current = null;
    PushManager.prototype.subscribe = async (opts) => {
      const k = String(opts && opts.applicationServerKey);
      window.subscribedWith = k;
      const raw = Uint8Array.from(atob(k.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      current = { endpoint: json.endpoint, expirationTime: null, options: { userVisibleOnly: true, applicationServerKey: raw.buffer },
        toJSON: () => json, getKey: () => null, unsubscribe: async () => true };
      return current;
    };
    PushManager.prototype.getSubscription = async () => current;
  })();`;
}

async function download(page: Page, name: string): Promise<Buffer> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#log a.file-link:has-text("${name}")`)]);
  assert.equal(dl.suggestedFilename(), name);
  return fs.readFileSync((await dl.path())!);
}

test('chat demo: files live and in history, and Web Push notifications while the tab is closed', { skip: noChromium, timeout: 120_000 }, async (t) => {
  const webpush = await startWebPushFake();
  t.after(() => webpush.close());
  // The server trusts the fake's CA and may push to 127.0.0.1 (by default only the real push services).
  const cfg = testConfig({ presenceDelayMs: 500, push: pushConfig(webpush.ca) });
  const server = await startChatDemo(cfg);
  const srv = await startBuilt(t, server, cfg.dataDir);
  const rec = (await server.core.store.apps.get(server.demoApp.id))!;
  const app = { id: rec.id, key: rec.key, secret: rec.secret };
  const admin = { authorization: `Bearer ${srv.adminToken}` };
  assert.equal((await srv.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { push: { delayMs: 200 } }, admin)).status, 200);
  const vapid = (await srv.http('GET', `/v1/apps/${app.id}/push/vapid`, undefined, { 'x-app-key': app.key })).body.publicKey as string;
  webpush.expectVapidKey(vapid);
  const sub = webpush.subscribe();

  // chat.test is 127.0.0.1 under a name that is not localhost: plain HTTP there is not a secure context.
  const browser = await launchChromium(t, ['--host-resolver-rules=MAP chat.test 127.0.0.1']);
  const ctxA = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const ctxB = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  // The browser's push service, replaced (see the top of this file): subscribe() hands out the
  // fake's subscription and records the applicationServerKey the page passed.
  await ctxB.addInitScript(fakeSubscribe(sub.json));
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  const errorsA = watchErrors(a);
  const errorsB = watchErrors(b);
  await register(a, srv.url + '/', 'alice');
  await register(b, srv.url + '/', 'bob');
  await a.waitForSelector('#presence [data-user="bob"]');

  // Alice attaches an image, then a text file: bob sees the link and the thumbnail live, only a link for the text.
  const image = png(120, 80, 20 * 1024);
  const notes = Buffer.from('meeting notes: ship the demo\n'.repeat(200));
  await a.setInputFiles('#file', { name: 'photo.png', mimeType: 'image/png', buffer: image });
  await thumbLoaded(b, 'photo.png', 120);
  await thumbLoaded(a, 'photo.png', 120);
  await a.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: notes });
  await b.waitForSelector('#log a.file-link:has-text("notes.txt")');
  assert.equal(await b.locator('#log img.thumb').count(), 1, 'a text file has no thumbnail');
  assert.match((await b.textContent('#log .msg:has(a.file-link:has-text("photo.png"))'))!, /alice.*photo\.png.*20\.\d KB/);
  assert.equal(await a.textContent('#upload-state'), '', 'the upload line clears when done');
  await screenshot(b, 'chat-web-files-bob');

  // Bob downloads both: the bytes are the ones alice sent.
  assert.deepEqual(await download(b, 'photo.png'), image);
  assert.deepEqual(await download(b, 'notes.txt'), notes);

  // After a reload the files come from history, thumbnail included.
  await b.reload();
  await b.waitForSelector('#conn-state:has-text("online")');
  await thumbLoaded(b, 'photo.png', 120);
  await b.waitForSelector('#log a.file-link:has-text("notes.txt")');

  // Over the app's limit: the server refuses (413/106) and the page says so; nothing is published.
  assert.equal((await srv.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { files: { maxFileBytes: 1024 } }, admin)).status, 200);
  await a.setInputFiles('#file', { name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(4096, 7) });
  await a.waitForSelector('#upload-state.bad');
  assert.match((await a.textContent('#upload-state'))!, /^big\.bin: .*1024/);
  const lobby = (await api(srv, app, 'GET', `/channels/${LOBBY}/history?limit=10`)).body.publications as { data: { name?: string } }[];
  assert.deepEqual(lobby.map((p) => p.data.name), ['photo.png', 'notes.txt']);

  // Refused: alice's browser denies the permission (nobody granted it); over plain HTTP on a name
  // other than localhost there is no Web Push at all. The page says which, and the chat goes on.
  await a.click('#notify');
  await a.waitForSelector('#notify-state:has-text("notifications: ")');
  assert.match((await a.textContent('#notify-state'))!, /^notifications: (blocked in the browser settings|not allowed)$/);
  assert.equal(await a.isEnabled('#notify'), true, 'she can try again');
  const ctxC = await browser.newContext();
  const c = await ctxC.newPage();
  const errorsC = watchErrors(c);
  await register(c, srv.url.replace('127.0.0.1', 'chat.test') + '/', 'carol');
  await c.click('#notify');
  await c.waitForSelector('#notify-state:has-text("notifications: needs HTTPS (or localhost)")');
  await c.waitForSelector('#log a.file-link:has-text("notes.txt")');
  await ctxC.close();

  // Bob turns notifications on: permission, service worker, subscription with the app's VAPID key.
  assert.equal(await b.textContent('#notify'), 'Enable notifications');
  await ctxB.grantPermissions(['notifications'], { origin: srv.url });
  await b.click('#notify');
  await b.waitForSelector('#notify:has-text("Notifications on")');
  assert.equal(await b.textContent('#notify-state'), 'notified while offline');
  assert.equal(await b.evaluate(() => (window as unknown as { subscribedWith?: string }).subscribedWith), vapid);
  // Registered on the server as his device's push target: the endpoint and keys the browser gave.
  const device = await b.evaluate(() => localStorage.getItem('xpush-chat-device'));
  const targets = (await api(srv, app, 'GET', '/users/bob/push')).body.targets as { kind: string; device: string }[];
  assert.deepEqual(targets.map((x) => [x.kind, x.device]), [['webpush', device]]);
  const stored = await server.core.store.push.targets(app.id, ['bob']);
  assert.deepEqual(stored.map((x) => [x.token, x.keys]), [[sub.json.endpoint, sub.json.keys]]);

  // Bob closes the tab (his page leaves: the connection ends, the service worker stays). Alice writes:
  // the server pushes to his endpoint, VAPID-signed and encrypted to his keys.
  await b.goto('about:blank');
  await a.waitForSelector('#presence [data-user="bob"]', { state: 'detached', timeout: 10_000 });
  await a.fill('#message', 'ping bob');
  await a.press('#message', 'Enter');
  const got = await waitFor('the push at bob\'s endpoint', () => webpush.received.find((r) => r.id === sub.id), 15_000);
  assert.deepEqual(webpush.errors, []);
  assert.equal(got.payload.title, 'alice');
  assert.equal(got.payload.body, 'ping bob');
  assert.equal(got.payload.data.channel, LOBBY);

  // The push service's last hop, into bob's real service worker, which shows the notification.
  const cdp = await ctxB.newCDPSession(b);
  const regs: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  const reg = await waitFor('bob\'s service worker registration', () => regs.find((r) => r.scopeURL === srv.url + '/' && !r.isDeleted));
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: srv.url, registrationId: reg.registrationId, data: JSON.stringify(got.payload) });
  await cdp.detach();
  await b.goto(`${srv.url}/#${encodeURIComponent(got.payload.data.channel)}`);
  const shown = await waitFor('the notification', async () => {
    const list = await b.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, channel: (n.data as { channel?: string }).channel })));
    return list.length > 0 && list;
  }, 10_000);
  assert.deepEqual(shown, [{ title: 'alice', body: 'ping bob', channel: LOBBY }]);
  await b.waitForSelector('#log .msg:has-text("ping bob")');
  await screenshot(b, 'chat-web-notified-bob');

  assert.deepEqual(errorsA, [`413 POST /v1/apps/${app.id}/channels/${LOBBY}/files`]);
  assert.deepEqual(errorsB, []);
  assert.deepEqual(errorsC, []);
  await Promise.all([ctxA.close(), ctxB.close()]);
});
