// docs/http-api.md lists every route the OpenAPI document has, once, with its method, and no route
// the server does not serve: a route added, removed or renamed without the doc fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../helpers/server.ts';

const DOC = path.resolve(import.meta.dirname, '../../docs/http-api.md');
const METHODS = /^(GET|POST|PUT|PATCH|DELETE)(, (GET|POST|PUT|PATCH|DELETE))*$/;
/** Served but left out of the OpenAPI document on purpose (schema `hide`), documented in the tables anyway. */
const HIDDEN = ['GET /health', 'GET /ready', 'GET /metrics', 'GET /admin'];

/** `METHOD /path` for each table row of the doc (a method cell followed by a path cell), in order. */
function documentedRoutes(markdown: string): string[] {
  const routes: string[] = [];
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    const i = cells.findIndex((c, j) => METHODS.test(c) && cells[j + 1]?.startsWith('/'));
    if (i >= 0) for (const m of cells[i].split(', ')) routes.push(`${m} ${cells[i + 1]}`);
  }
  return routes;
}

test('docs/http-api.md documents exactly the routes of /openapi.json, each once', async (t) => {
  const srv = await startServer(t);
  const doc = (await srv.http('GET', '/openapi.json')).body;
  const served = Object.entries<Record<string, unknown>>(doc.paths)
    .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`));
  const documented = documentedRoutes(fs.readFileSync(DOC, 'utf8'));
  const twice = documented.filter((r, i) => documented.indexOf(r) !== i);
  assert.deepEqual(twice, [], 'documented twice');
  assert.deepEqual(served.filter((r) => !documented.includes(r)).sort(), [], 'served but not in docs/http-api.md');
  assert.deepEqual(documented.filter((r) => !served.includes(r) && !HIDDEN.includes(r)).sort(), [], 'in docs/http-api.md but not served');
  for (const r of HIDDEN) {
    const [, p] = r.split(' ');
    assert.notEqual((await fetch(srv.url + p)).status, 404, `${r} is served`);
  }
});
