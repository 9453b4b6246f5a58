// Files with the browser bundle in a real Chromium: sendFile of a Blob with XHR upload progress,
// fileUrl shown in an <img>, an HTML upload that never renders, and the size limit (106).
// Needs /usr/bin/chromium (Debian: apt-get install -y chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createServer } from '../../src/index.ts';
import { wrapServer } from '../helpers/server.ts';
import { loggedIn, PASSWORD, waitFor } from '../e2e/sdk-kit.ts';
import { png } from '../helpers/files.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = path.resolve(import.meta.dirname, '../..');

const PAGE = `<!doctype html><meta charset="utf-8"><title>files</title>
<script src="/__sdk/xpush.min.js"></script>
<script>
  window.start = async (app, appKey, password) => {
    window.xp = new XPush({ url: location.origin, app, appKey });
    await xp.login('bob', password, 'browser');
  };
  // Uploads n bytes of a PNG made by the test (base64), recording every progress event.
  window.send = async (b64, name) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const progress = [];
    const events = [];
    xp.on('upload.progress', (ch, p) => events.push([ch, p]));
    try {
      const r = await xp.sendFile('room', new Blob([bytes], { type: 'text/plain' }), { name, onProgress: (p) => progress.push(p) });
      return { ok: r, progress, events: events.length };
    } catch (e) {
      return { error: { code: e.code, message: e.message }, progress };
    }
  };
  window.show = async (channel, id) => {
    const url = await xp.fileUrl({ channel, id });
    const img = new Image();
    await new Promise((res, rej) => { img.onload = res; img.onerror = () => rej(new Error('img failed')); img.src = url; });
    return { url, width: img.naturalWidth, height: img.naturalHeight };
  };
</script>`;

test('browser: sendFile with XHR progress, the image shown from fileUrl, HTML never rendered, limit 106', { skip: !fs.existsSync(CHROMIUM) && `no ${CHROMIUM}` }, async (t) => {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-dist-'));
  t.after(() => fs.rmSync(dist, { recursive: true, force: true }));
  execFileSync(process.execPath, [path.join(root, 'scripts/build-browser.mjs'), dist], { stdio: 'inherit' });
  const bundle = fs.readFileSync(path.join(dist, 'xpush.min.js'), 'utf8');

  // The page is served by the XPUSH server itself (a route added before start): same origin as the API.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-test-'));
  const server = await createServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminToken: 'test-admin-token' });
  server.http.get('/__sdk/index.html', async (_req, reply) => reply.type('text/html').send(PAGE));
  server.http.get('/__sdk/xpush.min.js', async (_req, reply) => reply.type('text/javascript').send(bundle));
  const srv = await wrapServer(t, server, dataDir);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'node');
  assert.equal((await srv.http('POST', `/v1/apps/${app.id}/users`, { user: 'bob', password: PASSWORD }, { 'x-app-key': app.key })).status, 201);
  await alice.xp.createChannel('room', { members: ['bob'] });

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${srv.url}/__sdk/index.html`);
  await page.evaluate(([a, k, p]) => (window as any).start(a, k, p), [app.id, app.key, PASSWORD]);

  const image = png(200, 100, 3 * 1024 * 1024);
  const sent = await page.evaluate(([b64]) => (window as any).send(b64, 'photo.png'), [image.toString('base64')]);
  assert.ok(sent.ok, JSON.stringify(sent.error));
  assert.deepEqual({ ...sent.ok.file, id: 'x' }, { id: 'x', name: 'photo.png', size: image.length, type: 'image/png', width: 200, height: 100 });
  assert.ok(sent.progress.length >= 1, 'XHR upload progress events');
  assert.deepEqual(sent.progress.at(-1), { loaded: image.length, total: image.length });
  assert.equal(sent.events, sent.progress.length);
  const msg = await waitFor('the file message in Node', () => alice.messages.find((m) => m.event === 'file'));
  assert.equal(msg.meta.user, 'bob');
  assert.equal(msg.meta.device, 'browser');

  // The signed URL works as an <img src>: the browser decodes the picture.
  const shown = await page.evaluate(([id]) => (window as any).show('room', id), [sent.ok.file.id]);
  assert.deepEqual([shown.width, shown.height], [200, 100]);

  // An uploaded HTML page opened directly is a download, not a document of this origin.
  const html = Buffer.from('<html><body><script>document.title = "owned"</script>owned</body></html>');
  const up = await alice.xp.sendFile('room', html, { name: 'evil.html' });
  const url = await alice.xp.fileUrl({ channel: 'room', id: up.file.id });
  const tab = await browser.newPage();
  const download = tab.waitForEvent('download', { timeout: 5000 });
  await tab.goto(url).catch(() => undefined); // navigation is aborted: it became a download
  assert.equal((await download).suggestedFilename(), 'evil.html');
  assert.notEqual(await tab.title(), 'owned');

  // Over the limit: the browser gets error 106, not a network error.
  const patch = await srv.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { files: { maxFileBytes: 1024 * 1024 } }, { authorization: `Bearer ${srv.adminToken}` });
  assert.equal(patch.status, 200);
  const refused = await page.evaluate(([b64]) => (window as any).send(b64, 'big.png'), [image.toString('base64')]);
  assert.equal(refused.error?.code, 106, JSON.stringify(refused));
  assert.deepEqual(pageErrors, []);
});
