// The browser bundle in a real Chromium: a page on the server's origin logs in with the SDK and
// chats with a Node client. Needs /usr/bin/chromium (Debian: apt-get install -y chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
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
  window.start = async (app, appKey, password, device = 'browser') => {
    const xp = new XPush({ url: location.origin, app, appKey });
    window.xp = xp;
    xp.on('message', (channel, event, data, meta) => window.received.push({ channel, event, data, meta }));
    xp.on('subscribed', (channel) => window.subscribed.push(channel));
    await xp.login('bob', password, device);
    const info = await xp.connect();
    return { user: info.user, device: info.device, global: typeof XPush.XPushError };
  };
</script>`;

test('a message sent from Node arrives in a browser page, and back', { skip: !fs.existsSync(CHROMIUM) && `no ${CHROMIUM}` }, async (t) => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-dist-'));
  t.after(() => fs.rmSync(dist, { recursive: true, force: true }));
  execFileSync(process.execPath, [path.join(root, 'scripts/build-browser.mjs'), dist], { stdio: 'inherit' });
  const bundle = fs.readFileSync(path.join(dist, 'xpush.min.js'), 'utf8');
  const esm = fs.readFileSync(path.join(dist, 'xpush.js'), 'utf8');
  assert.ok(!/\bfrom\s*["']node:|require\(["'](ws|node:)/.test(esm), 'no Node-only imports in the bundle');

  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'node');
  const reg = await srv.http('POST', `/v1/apps/${app.id}/users`, { user: 'bob', password: PASSWORD }, { 'x-app-key': app.key });
  assert.equal(reg.status, 201);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  t.after(() => browser.close());
  const site = await serveSite(t, srv.url, { 'index.html': PAGE, 'xpush.min.js': bundle, 'xpush.js': esm });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${site}/__sdk/index.html`);
  await page.waitForFunction(() => (window as any).esmLoaded === true);

  const started = await page.evaluate(([a, k, p]) => (window as any).start(a, k, p), [app.id, app.key, PASSWORD]);
  assert.deepEqual(started, { user: 'bob', device: 'browser', global: 'function' });

  await alice.xp.createChannel('web', { members: ['bob'] });
  // The server subscribes the page's connection to the new channel (subscribe push).
  await page.waitForFunction(() => (window as any).subscribed.includes('web'), undefined, { timeout: 5000 });
  const ack = await alice.xp.send('web', 'chat', { text: 'hello browser' });
  await page.waitForFunction(() => (window as any).received.length >= 1, undefined, { timeout: 5000 });
  const got = await page.evaluate(() => (window as any).received);
  assert.equal(got.length, 1);
  assert.equal(got[0].channel, 'web');
  assert.equal(got[0].event, 'chat');
  assert.deepEqual(got[0].data, { text: 'hello browser' });
  assert.equal(got[0].meta.offset, ack.offset);
  assert.equal(got[0].meta.user, 'alice');
  assert.equal(got[0].meta.device, 'node');

  const back = await page.evaluate(() => (window as any).xp.send('web', 'chat', { text: 'hello node' }));
  assert.equal(back.offset, 2);
  await waitFor('reply in Node', () => alice.messages.find((m) => m.meta.offset === 2));
  const reply = alice.messages.find((m) => m.meta.offset === 2)!;
  assert.deepEqual(reply.data, { text: 'hello node' });
  assert.equal(reply.meta.user, 'bob');
  assert.equal(reply.meta.device, 'browser');
  assert.deepEqual(pageErrors, []);
});

/**
 * The page's web server on port 0: /__sdk/* from memory, anything else proxied to the XPUSH server,
 * the way an app's own site would sit in front of it. (A page intercepted by Playwright has no
 * address, and Chromium's local network access checks then block its WebSocket to 127.0.0.1;
 * the session server sends no CORS headers, so the SDK's HTTP calls must be same-origin.)
 */
async function serveSite(t: TestContext, upstream: string, files: Record<string, string>): Promise<string> {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/__sdk/')) {
      const body = files[url.pathname.slice('/__sdk/'.length)];
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': url.pathname.endsWith('.html') ? 'text/html' : 'text/javascript' });
      res.end(body ?? 'not found');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
    try {
      const up = await fetch(upstream + url.pathname + url.search, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(Buffer.from(await up.arrayBuffer()));
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Blocks WebSocket in the page the way a proxy would: every socket fails to open. */
const BLOCK_WEBSOCKET = `(() => {
  const Real = window.WebSocket;
  window.wsTried = 0;
  window.WebSocket = class extends Real {
    constructor(url, protocols) { window.wsTried++; super('ws://127.0.0.1:9/blocked', protocols); }
  };
})();`;

test('WebSocket blocked in the page: the browser bundle falls back to http_stream (and to sse when that is blocked too) and chats both ways', { skip: !fs.existsSync(CHROMIUM) && `no ${CHROMIUM}`, timeout: 60_000 }, async (t) => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-dist-'));
  t.after(() => fs.rmSync(dist, { recursive: true, force: true }));
  execFileSync(process.execPath, [path.join(root, 'scripts/build-browser.mjs'), dist], { stdio: 'inherit' });
  const files = { 'index.html': PAGE, 'xpush.min.js': fs.readFileSync(path.join(dist, 'xpush.min.js'), 'utf8'), 'xpush.js': fs.readFileSync(path.join(dist, 'xpush.js'), 'utf8') };

  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'node');
  assert.equal((await srv.http('POST', `/v1/apps/${app.id}/users`, { user: 'bob', password: PASSWORD }, { 'x-app-key': app.key })).status, 201);
  await alice.xp.createChannel('web', { members: ['bob'] });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  t.after(() => browser.close());
  const site = await serveSite(t, srv.url, files);

  let offset = 0;
  for (const [device, expect] of [['browser-a', 'http_stream'], ['browser-b', 'sse']] as const) {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
    await page.addInitScript(BLOCK_WEBSOCKET);
    if (expect === 'sse') await page.route('**/connection/http_stream', (r) => r.abort());
    await page.goto(`${site}/__sdk/index.html`);
    await page.waitForFunction(() => (window as any).esmLoaded === true);

    const started = await page.evaluate(([a, k, p, d]) => (window as any).start(a, k, p, d), [app.id, app.key, PASSWORD, device]);
    assert.deepEqual(started, { user: 'bob', device, global: 'function' });
    assert.ok(await page.evaluate(() => (window as any).wsTried) >= 1, 'WebSocket was tried first');
    const streams = requests.filter((r) => r.includes('/connection/'));
    assert.equal(streams.at(-1), expect === 'sse' ? 'GET /connection/sse' : 'POST /connection/http_stream', JSON.stringify(requests));
    assert.ok(srv.server.connections(app.id).some((c) => c.device === device && c.channels.includes('web')));

    const ack = await alice.xp.send('web', 'chat', { text: `hello ${device}` });
    offset = ack.offset;
    await page.waitForFunction((o) => (window as any).received.some((m: any) => m.meta.offset === o), ack.offset, { timeout: 5000 });
    const got = (await page.evaluate(() => (window as any).received)).find((m: any) => m.meta.offset === ack.offset);
    assert.deepEqual(got.data, { text: `hello ${device}` });

    const back = await page.evaluate((d) => (window as any).xp.send('web', 'chat', { text: `hello from ${d}` }), device);
    assert.equal(back.offset, offset + 1);
    offset = back.offset;
    await waitFor(`reply from ${device} in Node`, () => alice.messages.find((m) => m.meta.offset === back.offset));
    assert.deepEqual(alice.messages.find((m) => m.meta.offset === back.offset)!.data, { text: `hello from ${device}` });
    assert.ok(requests.some((r) => r === 'POST /emulation'), 'later commands went through POST /emulation');
    assert.deepEqual(pageErrors, []);
    await page.evaluate(() => (window as any).xp.disconnect());
    await page.close();
  }
});
