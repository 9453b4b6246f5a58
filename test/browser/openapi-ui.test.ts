// The interactive OpenAPI page at /docs in a real Chromium: it renders the operations of the server's
// own document, loads nothing from another origin, and "Try it out" sends a real request to XPUSH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { launchChromium, noChromium, screenshot, watchErrors } from '../helpers/browser.ts';

test('/docs in Chromium: operations rendered from /docs/json, same origin only, Try it out reaches the server', { skip: noChromium, timeout: 60_000 }, async (t) => {
  const srv = await startServer(t);
  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchErrors(page);
  const elsewhere: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith(srv.url) && !r.url().startsWith('data:')) elsewhere.push(r.url()); });

  await page.goto(`${srv.url}/docs`);
  await page.waitForSelector('.opblock', { timeout: 20_000 });
  const title = await page.textContent('.info .title');
  assert.match(title!, /XPUSH HTTP API/);
  const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
  assert.ok(paths.includes('/v1/admin/apps'), paths.join(' '));
  assert.ok(paths.includes('/v1/apps/{app}/publish'), paths.join(' '));
  await screenshot(page, 'openapi-docs');

  // Try it out: list apps without credentials; the page shows the server's 401 answer.
  const op = page.locator('#operations-admin-get_v1_admin_apps, .opblock-get:has([data-path="/v1/admin/apps"])').first();
  await op.locator('.opblock-summary').click();
  await op.locator('button.try-out__btn').click();
  await op.locator('button.execute').click();
  const status = await op.locator('.live-responses-table tbody .response-col_status').first().textContent({ timeout: 10_000 });
  assert.match(status!.trim(), /^401/);
  assert.deepEqual(elsewhere, [], 'nothing loaded from another origin');
  assert.deepEqual(errors.filter((e) => !e.startsWith('401 GET /v1/admin/apps')), []);
});
