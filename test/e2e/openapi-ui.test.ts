// The interactive OpenAPI page (@fastify/swagger-ui) at /docs: its HTML, its scripts and the document
// it shows come from the server itself (no CDN), under a Content-Security-Policy of this origin only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';

test('/docs serves the Swagger UI page, its assets and the OpenAPI document from this server', async (t) => {
  const srv = await startServer(t);
  for (const page of ['/docs', '/docs/']) {
    const r = await fetch(srv.url + page);
    assert.equal(r.status, 200, page);
    assert.match(r.headers.get('content-type')!, /^text\/html/);
    assert.match(r.headers.get('content-security-policy')!, /script-src 'self'/);
    const html = await r.text();
    assert.match(html, /<div id="swagger-ui">/);
    assert.doesNotMatch(html, /(?:src|href)="(?:https?:)?\/\//, `${page} loads nothing from another origin`);
    // Every script and stylesheet the page names is served, resolved as a browser would from this URL.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => new URL(m[1], srv.url + page).href);
    assert.ok(assets.some((a) => a.endsWith('/swagger-ui-bundle.js')), html);
    for (const a of assets) {
      const asset = await fetch(a);
      assert.equal(asset.status, 200, a);
      const body = await asset.text();
      assert.ok(body.length > 100, a);
      if (a.endsWith('.js')) assert.match(asset.headers.get('content-type')!, /javascript/, a);
    }
  }
  // The page reads the server's own document (./json beside it), the same one /openapi.json serves.
  const shown = await srv.http('GET', '/docs/json');
  const doc = await srv.http('GET', '/openapi.json');
  assert.equal(shown.status, 200);
  assert.deepEqual(shown.body, doc.body);
  assert.ok(shown.body.paths['/v1/admin/apps'].post, 'the admin routes are in it');
});
