// Issue 8, item 3: channel names of 101–255 characters are reachable on every /channels/:channel route,
// and errors the web framework raises itself (router, body parser, HTTP parser, CORS) come back in
// XPUSH's shape `{error: {code, message}}` with a sensible status, never the framework's own body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, type TestServer } from '../helpers/server.ts';
import { api } from '../helpers/clients.ts';

/** The only error shape the API answers with. */
function assertXPushError(what: string, status: number, body: unknown, expectStatus: number, expectCode?: number): void {
  assert.equal(status, expectStatus, `${what}: status ${status} ${JSON.stringify(body)}`);
  assert.ok(body && typeof body === 'object', `${what}: JSON body expected, got ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body as object), ['error'], `${what}: ${JSON.stringify(body)}`);
  const e = (body as { error: Record<string, unknown> }).error;
  assert.deepEqual(Object.keys(e).sort(), ['code', 'message'], `${what}: ${JSON.stringify(body)}`);
  assert.equal(typeof e.code, 'number', what);
  assert.equal(typeof e.message, 'string', what);
  assert.doesNotMatch(String(e.message), /FST_/, `${what}: framework code leaked`);
  if (expectCode !== undefined) assert.equal(e.code, expectCode, `${what}: ${JSON.stringify(body)}`);
}

/** Sends raw bytes and returns the status and parsed body of the answer. */
function rawHttp(ts: TestServer, request: string): Promise<{ status: number; body: unknown }> {
  const u = new URL(ts.url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname);
    let data = '';
    s.on('data', (d) => { data += d.toString(); });
    s.on('error', () => undefined);
    s.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1]);
      try { resolve({ status, body: JSON.parse(rest.join('\r\n\r\n')) }); } catch { reject(new Error(`not JSON: ${JSON.stringify(data)}`)); }
    });
    s.write(request);
  });
}

test('channel names of 101–255 characters work on every /channels/:channel route', { timeout: 30_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/tokens', { user: 'bob' });
  const names = ['c'.repeat(101), 'd'.repeat(200), 'e'.repeat(255), 'é'.repeat(255), `room/${'x'.repeat(150)}?#%`];
  for (const name of names) {
    const path = `/channels/${encodeURIComponent(name)}`;
    const created = await api(ts, app, 'POST', '/channels', { channel: name });
    assert.equal(created.status, 201, `${name.length}: ${JSON.stringify(created.body)}`);
    const get = await api(ts, app, 'GET', path);
    assert.equal(get.status, 200, `GET ${name.length}: ${JSON.stringify(get.body).slice(0, 300)}`);
    assert.equal(get.body.channel, name);
    assert.equal((await api(ts, app, 'PATCH', path, { data: { topic: 't' } })).status, 200);
    assert.equal((await api(ts, app, 'POST', `${path}/members`, { users: ['bob'] })).status, 200);
    assert.equal((await api(ts, app, 'DELETE', `${path}/members`, { users: ['bob'] })).status, 200);
    assert.equal((await api(ts, app, 'POST', '/publish', { channel: name, data: 1 })).status, 200);
    const h = await api(ts, app, 'GET', `${path}/history`);
    assert.equal(h.status, 200);
    assert.equal(h.body.publications.length, 1);
    assert.equal((await api(ts, app, 'GET', `${path}/presence`)).status, 200);
    assert.deepEqual((await api(ts, app, 'DELETE', path)).body, { deleted: true });
  }
  // One past the limit is a plain validation error naming the field; far past it a 414, both in our shape.
  const tooLong = await api(ts, app, 'GET', `/channels/${'f'.repeat(256)}`);
  assertXPushError('256 chars', tooLong.status, tooLong.body, 400, 107);
  assert.match(tooLong.body.error.message, /channel/);
  const huge = await api(ts, app, 'GET', `/channels/${'g'.repeat(5000)}`);
  assertXPushError('5000 chars', huge.status, huge.body, 414, 106);
});

test('framework errors come back as {error: {code, message}} with a sensible status', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const key = { 'x-api-key': app.secret };
  const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const r = await fetch(ts.url + path, { method, headers, body });
    const text = await r.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* stays text: the assertion reports it */ }
    return { status: r.status, body: parsed };
  };
  const cases: [string, () => Promise<{ status: number; body: unknown }>, number, number?][] = [
    ['bad percent-encoding in a param', () => send('GET', `/v1/apps/${app.id}/channels/%E0%A4%A`, undefined, key), 400, 107],
    ['bad percent-encoding in the app id', () => send('GET', '/v1/apps/%ZZ/channels/x', undefined, key), 400, 107],
    ['unknown route', () => send('GET', '/nope'), 404, 404],
    ['unknown method on a route', () => send('PUT', '/v1/admin/apps'), 404, 404],
    ['unsupported content type', () => send('POST', '/v1/admin/apps', '<a/>', { 'content-type': 'application/xml', authorization: `Bearer ${ts.adminToken}` }), 415, 107],
    ['invalid JSON', () => send('POST', '/v1/admin/apps', '{x', { 'content-type': 'application/json', authorization: `Bearer ${ts.adminToken}` }), 400, 107],
    ['empty JSON body', () => send('POST', '/v1/admin/apps', '', { 'content-type': 'application/json', authorization: `Bearer ${ts.adminToken}` }), 400, 107],
    ['__proto__ key in the body', () => send('POST', '/v1/admin/apps', '{"__proto__": {"x": 1}, "name": "n"}', { 'content-type': 'application/json', authorization: `Bearer ${ts.adminToken}` }), 400, 107],
    ['body over the limit', () => send('POST', '/v1/admin/apps', JSON.stringify({ name: 'x'.repeat(300_000) }), { 'content-type': 'application/json', authorization: `Bearer ${ts.adminToken}` }), 413, 106],
    ['preflight without its headers', () => send('OPTIONS', '/v1/admin/apps'), 400, 107],
    ['header section too large', () => rawHttp(ts, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 106],
    ['malformed request line', () => rawHttp(ts, 'GARBAGE\r\n\r\n'), 400, 107],
  ];
  for (const [what, run, status, code] of cases) {
    const r = await run();
    assertXPushError(what, r.status, r.body, status, code);
  }
  // The server is still fine.
  assert.equal((await ts.http('GET', '/health')).body.status, 'ok');
});
