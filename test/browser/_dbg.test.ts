// The browser bundle in a real Chromium: a page on the server's origin logs in with the SDK and
// chats with a Node client. Needs /usr/bin/chromium (Debian: apt-get install -y chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../helpers/server.ts';
import { loggedIn, PASSWORD, waitFor } from '../e2e/sdk-kit.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = path.resolve(import.meta.dirname, '../..');

const PAGE = `<!doctype html><meta charset="utf-8"><title>xpush</title>
<script src="/__sdk/xpush.min.js"></script>
<script type="module">
  import * as esm from '/__sdk/xpush.js';
  window.esmLoaded = typeof esm.XPush === 'function' && typeof esm.XPushError === 'function';
</script>
<script>
  window.received = [];
  window.subscribed = [];
  window.start = async (app, appKey, password) => {
    const xp = new XPush({ url: location.origin, app, appKey });
    window.xp = xp;
    xp.on('message', (channel, event, data, meta) => window.received.push({ channel, event, data, meta }));
    xp.on('subscribed', (channel) => window.subscribed.push(channel));
    await xp.login('bob', password, 'browser');
    const info = await xp.connect();
    return { user: info.user, device: info.device, global: typeof XPush.XPushError };
  };
</script>`;

test('a message sent from Node arrives in a browser page, and back', { skip: !fs.existsSync(CHROMIUM) && `no ${CHROMIUM}` }, async (t) => {
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-dist-'));
  t.after(() => fs.rmSync(dist, { recursive: true, force: true }));
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  execFileSync(process.execPath, [path.join(root, 'scripts/build-browser.mjs'), dist], { stdio: 'inherit' });
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const bundle = fs.readFileSync(path.join(dist, 'xpush.min.js'), 'utf8');
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const esm = fs.readFileSync(path.join(dist, 'xpush.js'), 'utf8');
  assert.ok(!/\bfrom\s*["']node:|require\(["'](ws|node:)/.test(esm), 'no Node-only imports in the bundle');

  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const srv = await startServer(t);
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const app = await srv.createApp();
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const alice = await loggedIn(t, srv, app, 'alice', 'node');
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const reg = await srv.http('POST', `/v1/apps/${app.id}/users`, { user: 'bob', password: PASSWORD }, { 'x-app-key': app.key });
  assert.equal(reg.status, 201);

  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  t.after(() => browser.close());
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const page = await browser.newPage();
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // The page and the bundle are served on the server's own origin (intercepted), so the SDK's
  // fetch calls to the session server are same-origin; everything else reaches the real server.
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  await page.route(`${srv.url}/__sdk/**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice('/__sdk/'.length);
    const body = name === 'index.html' ? PAGE : name === 'xpush.min.js' ? bundle : name === 'xpush.js' ? esm : null;
    if (body === null) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, contentType: name.endsWith('.html') ? 'text/html' : 'text/javascript', body });
  });
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  await page.goto(`${srv.url}/__sdk/index.html`);
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  await page.waitForFunction(() => (window as any).esmLoaded === true);

  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const started = await page.evaluate(([a, k, p]) => (window as any).start(a, k, p), [app.id, app.key, PASSWORD]);
  assert.deepEqual(started, { user: 'bob', device: 'browser', global: 'function' });

  console.error("STEP", new Error().stack.split("\n")[1].trim());
  await alice.xp.createChannel('web', { members: ['bob'] });
  // The server subscribes the page's connection to the new channel (subscribe push).
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  await page.waitForFunction(() => (window as any).subscribed.includes('web'), undefined, { timeout: 5000 });
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const ack = await alice.xp.send('web', 'chat', { text: 'hello browser' });
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  await page.waitForFunction(() => (window as any).received.length >= 1, undefined, { timeout: 5000 });
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const got = await page.evaluate(() => (window as any).received);
  assert.equal(got.length, 1);
  assert.equal(got[0].channel, 'web');
  assert.equal(got[0].event, 'chat');
  assert.deepEqual(got[0].data, { text: 'hello browser' });
  assert.equal(got[0].meta.offset, ack.offset);
  assert.equal(got[0].meta.user, 'alice');
  assert.equal(got[0].meta.device, 'node');

  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const back = await page.evaluate(() => (window as any).xp.send('web', 'chat', { text: 'hello node' }));
  assert.equal(back.offset, 2);
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  await waitFor('reply in Node', () => alice.messages.find((m) => m.meta.offset === 2));
  console.error("STEP", new Error().stack.split("\n")[1].trim());
  const reply = alice.messages.find((m) => m.meta.offset === 2)!;
  assert.deepEqual(reply.data, { text: 'hello node' });
  assert.equal(reply.meta.user, 'bob');
  assert.equal(reply.meta.device, 'browser');
  assert.deepEqual(pageErrors, []);
});
