// What the admin console needs from the server: every channel of an app, a user's devices, the
// live watch stream of a channel, the hashing ring, and the console's own files.
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { api, sdkClient, userSession } from '../helpers/clients.ts';
import { SseReader } from '../helpers/sse.ts';
import { tokenFor, waitFor } from './e2e-kit.ts';
import { watchLimits } from '../../src/session/routes/watch.ts';

const { maxWatchers: MAX_WATCHERS, backlog: WATCH_BACKLOG } = watchLimits;

/** Shortens watch limits for one test. */
function limitWatch(t: { after(fn: () => void): void }, change: Partial<typeof watchLimits>): void {
  const saved = { ...watchLimits };
  Object.assign(watchLimits, change);
  t.after(() => { Object.assign(watchLimits, saved); });
}

test('GET /channels lists every channel of the app by name, paged, with a literal prefix', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const other = await ts.createApp('other');
  for (const ch of ['room-b', 'room-a', 'lobby', 'room_c']) assert.equal((await api(ts, app, 'POST', '/channels', { channel: ch, type: ch === 'lobby' ? 'open' : 'members' })).status, 201);
  await api(ts, other, 'POST', '/channels', { channel: 'room-z' });
  await api(ts, app, 'POST', '/publish', { channel: 'lobby', data: { n: 1 } });

  const p1 = await api(ts, app, 'GET', '/channels?limit=2');
  assert.equal(p1.status, 200);
  assert.deepEqual(p1.body.channels.map((c: any) => c.channel), ['lobby', 'room-a']);
  assert.equal(p1.body.channels[0].type, 'open');
  assert.equal(p1.body.channels[0].offset, 1);
  assert.equal(typeof p1.body.next, 'string');
  const p2 = await api(ts, app, 'GET', `/channels?limit=2&cursor=${encodeURIComponent(p1.body.next)}`);
  assert.deepEqual(p2.body.channels.map((c: any) => c.channel), ['room-b', 'room_c']);
  assert.equal(p2.body.next, undefined, 'a full last page has no next');
  const pre = await api(ts, app, 'GET', '/channels?prefix=room-');
  assert.deepEqual(pre.body.channels.map((c: any) => c.channel), ['room-a', 'room-b']);

  for (const q of ['limit=0', 'limit=101', 'limit=x', 'sort=name']) {
    const r = await api(ts, app, 'GET', `/channels?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.error.code, 107);
  }
  const wrong = await ts.http('GET', `/v1/apps/${app.id}/channels`, undefined, { 'x-api-key': other.secret });
  assert.equal(wrong.status, 401);
});

test('GET /users/:user/devices: login sessions and token-only devices, with who is online', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const phone = await userSession(ts, app, 'alice', 'phone');
  await userSession(ts, app, 'alice', 'laptop');
  await sdkClient(t, ts.wsUrl, phone.accessToken);
  await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'alice', 'kiosk'));

  const r = await api(ts, app, 'GET', '/users/alice/devices');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const byDevice = Object.fromEntries(r.body.devices.map((d: any) => [d.device, d]));
  assert.deepEqual(Object.keys(byDevice).sort(), ['kiosk', 'laptop', 'phone']);
  assert.equal(byDevice.phone.online, true);
  assert.equal(byDevice.phone.session, phone.session);
  assert.equal(typeof byDevice.phone.expiresAt, 'number');
  assert.equal(byDevice.laptop.online, false);
  assert.deepEqual(byDevice.kiosk, { device: 'kiosk', session: null, online: true });

  const missing = await api(ts, app, 'GET', '/users/nobody/devices');
  assert.equal(missing.status, 404);
  assert.match(missing.body.error.message, /nobody/);
  const badId = await api(ts, app, 'GET', '/users/a%20b/devices');
  assert.equal(badId.status, 400);
  const noKey = await ts.http('GET', `/v1/apps/${app.id}/users/alice/devices`);
  assert.equal(noKey.status, 401);
});

test('watch: backlog after an offset, then live publications in order, once; not a connection, not in presence', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await userSession(ts, app, 'alice');
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice'] });
  for (let i = 1; i <= 3; i++) await api(ts, app, 'POST', '/publish', { channel: 'room', data: { n: i } });

  const w = await SseReader.open(`${ts.url}/v1/apps/${app.id}/channels/room/watch?after=1`, { 'x-api-key': app.secret });
  t.after(() => w.close());
  assert.equal(w.status, 200);
  assert.match(w.headers['content-type']!, /^text\/event-stream/);
  assert.equal(w.headers['cache-control'], 'private, no-cache, no-store, must-revalidate, max-age=0');
  await waitFor('ready', () => w.named('ready'));
  assert.deepEqual(w.named('ready')!.data, { channel: 'room', offset: 3, epoch: w.named('ready')!.data.epoch, skipped: 0 });
  assert.deepEqual(w.pubs.map((p) => p.offset), [2, 3]);

  // Live: from the server API and from a user's socket.
  const c = await sdkClient(t, ts.wsUrl, alice.accessToken);
  const sub = c.newSubscription('room');
  sub.subscribe();
  await sub.ready(2000);
  await api(ts, app, 'POST', '/publish', { channel: 'room', event: 'note', data: { n: 4 } });
  await c.rpc('publish', { channel: 'room', event: 'chat', data: { n: 5 } });
  await waitFor('5 publications', () => w.pubs.length >= 4);
  assert.deepEqual(w.pubs.map((p) => p.offset), [2, 3, 4, 5]);
  const last = w.pubs[3];
  assert.deepEqual(last.data, { n: 5 });
  assert.equal(last.tags.event, 'chat');
  assert.equal(last.info.user, 'alice');
  assert.equal(w.events.filter((e) => e.event === 'message').every((e) => e.data.channel === 'room'), true);

  // The watcher is nobody: not among connections, not in presence.
  const conns = await api(ts, app, 'GET', '/connections');
  assert.deepEqual(conns.body.connections.map((x: any) => x.user), ['alice']);
  const pres = await api(ts, app, 'GET', '/channels/room/presence');
  assert.deepEqual(Object.values(pres.body.presence).map((p: any) => p.user), ['alice']);

  // Deleting the channel ends the stream with a reason.
  await api(ts, app, 'DELETE', '/channels/room');
  await w.done;
  assert.deepEqual(w.events.at(-1), { event: 'end', data: { reason: 'channel deleted' } });
});

test('watch: refusals, a backlog too long is cut, at most MAX_WATCHERS at once, app deletion ends the stream', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const other = await ts.createApp('other');
  await api(ts, app, 'POST', '/channels', { channel: 'room' });
  const url = (q = '') => `${ts.url}/v1/apps/${app.id}/channels/room/watch${q}`;

  const noKey = await SseReader.open(url(), {});
  assert.equal(noKey.status, 401);
  assert.equal(noKey.error.error.code, 101);
  const foreign = await SseReader.open(url(), { 'x-api-key': other.secret });
  assert.equal(foreign.status, 401);
  const unknown = await SseReader.open(`${ts.url}/v1/apps/${app.id}/channels/nope/watch`, { 'x-api-key': app.secret });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.error.error.code, 102);
  const badAfter = await SseReader.open(url('?after=-1'), { 'x-api-key': app.secret });
  assert.equal(badAfter.status, 400);
  assert.match(badAfter.error.error.message, /after/);

  // More than WATCH_BACKLOG behind: the newest WATCH_BACKLOG come, `skipped` says how many did not.
  const total = WATCH_BACKLOG + 7;
  for (let i = 0; i < total; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, total - i) }, (_, k) => api(ts, app, 'POST', '/publish', { channel: 'room', data: { n: i + k } })));
  }
  const behind = await SseReader.open(url('?after=0'), { 'x-api-key': app.secret });
  t.after(() => behind.close());
  await waitFor('ready', () => behind.named('ready'));
  assert.equal(behind.named('ready')!.data.skipped, 7);
  assert.equal(behind.pubs.length, WATCH_BACKLOG);
  assert.equal(behind.pubs[0].offset, 8);
  assert.equal(behind.pubs.at(-1).offset, total);

  // At most MAX_WATCHERS streams at once: the next gets 429, a freed slot serves again.
  const many: SseReader[] = [];
  t.after(() => { for (const r of many) r.close(); });
  for (let i = 1; i < MAX_WATCHERS; i++) many.push(await SseReader.open(url(), { 'x-api-key': app.secret }));
  const over = await SseReader.open(url(), { 'x-api-key': app.secret });
  assert.equal(over.status, 429);
  assert.equal(over.error.error.code, 111);
  many.pop()!.close();
  const again = await waitFor('a free slot', async () => {
    const r = await SseReader.open(url(), { 'x-api-key': app.secret });
    return r.status === 200 ? r : undefined;
  });
  many.push(again);
  for (const r of many) r.close();

  // Deleting the app ends its streams (once the closed readers' slots are free again).
  const doomed = await waitFor('a free slot', async () => {
    const r = await SseReader.open(url(), { 'x-api-key': app.secret });
    return r.status === 200 ? r : undefined;
  });
  await waitFor('ready', () => doomed.named('ready'));
  const del = await ts.http('DELETE', `/v1/admin/apps/${app.id}`, undefined, { authorization: `Bearer ${ts.adminToken}` });
  assert.equal(del.status, 200);
  await doomed.done;
  assert.deepEqual(doomed.events.at(-1), { event: 'end', data: { reason: 'app deleted' } });
});

test('watch: server shutdown ends open streams and does not wait on them', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'room' });
  const open = await SseReader.open(`${ts.url}/v1/apps/${app.id}/channels/room/watch`, { 'x-api-key': app.secret });
  await waitFor('ready', () => open.named('ready'));
  const started = Date.now();
  await ts.server.close();
  assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
  await open.done;
  assert.deepEqual(open.events.at(-1), { event: 'end', data: { reason: 'server shutting down' } });
});

test('watch: heartbeats, the time limit, and a reader that stops reading is cut off', async (t) => {
  limitWatch(t, { heartbeatMs: 50, maxMs: 600, maxBufferedBytes: 64 * 1024 });
  const ts = await startServer(t);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'room' });
  const url = `${ts.url}/v1/apps/${app.id}/channels/room/watch`;

  // Heartbeat comments, then the time limit ends the stream with a reason saying how to go on.
  const raw: string[] = [];
  const timed = await SseReader.open(url, { 'x-api-key': app.secret }, (chunk) => raw.push(chunk));
  await timed.done;
  assert.ok(raw.join('').split(': ping\n\n').length > 3, 'several heartbeats before the limit');
  assert.match(timed.events.at(-1)!.data.reason, /^time limit: reconnect with after=/);

  // A reader that stops reading: once more than maxBufferedBytes wait for it, it is cut off
  // instead of the server holding everything.
  watchLimits.maxMs = 60_000;
  const slow = await SseReader.open(url, { 'x-api-key': app.secret });
  await waitFor('ready', () => slow.named('ready'));
  slow.pause();
  // 12 MB against a 64 KB limit: more than the kernel's socket buffers hold on this machine (the
  // receive buffer stays small while the reader does not read; the send buffer grows to 4 MB).
  const big = 'x'.repeat(60_000);
  const sent = 200;
  for (let i = 0; i < sent; i += 10) {
    await Promise.all(Array.from({ length: 10 }, () => api(ts, app, 'POST', '/publish', { channel: 'room', data: { big } })));
  }
  slow.resume();
  await slow.done;
  assert.deepEqual(slow.events.at(-1), { event: 'end', data: { reason: 'slow reader' } });
  assert.ok(slow.pubs.length < sent, `it got ${slow.pubs.length} of ${sent}, not everything`);
  assert.ok(slow.pubs.length < sent, 'it did not get everything');
});

test('GET /v1/admin/ring (admin token) and the console files at /admin, with a strict CSP', async (t) => {
  const ts = await startServer(t);
  const admin = { authorization: `Bearer ${ts.adminToken}` };
  const ring = await ts.http('GET', '/v1/admin/ring', undefined, admin);
  assert.equal(ring.status, 200);
  assert.deepEqual(ring.body, { vnodes: 160, nodes: [{ id: ts.server.nodeId, share: 1 }] });
  const noAdmin = await ts.http('GET', '/v1/admin/ring');
  assert.equal(noAdmin.status, 401);

  for (const [path, type] of [['/admin', 'text/html'], ['/admin/', 'text/html'], ['/admin/console.js', 'text/javascript'], ['/admin/console.css', 'text/css']]) {
    const r = await fetch(ts.url + path!);
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type')!, new RegExp(`^${type}`), path);
    assert.match(r.headers.get('content-security-policy')!, /script-src 'self'.*frame-ancestors 'none'/);
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.ok((await r.text()).length > 100, path);
  }
  const html = await (await fetch(ts.url + '/admin')).text();
  assert.match(html, /<script type="module" src="\/admin\/console.js"><\/script>/);
  assert.doesNotMatch(html, /https?:\/\//, 'no CDN: the page loads nothing from elsewhere');
  const js = await (await fetch(ts.url + '/admin/console.js')).text();
  assert.doesNotMatch(js, /\bimport\s*\(?\s*["']https?:/, 'no remote imports');
});

test('scripts/build-console.mjs writes the files a package without esbuild serves', (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-admin-'));
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  execFileSync(process.execPath, [path.resolve(import.meta.dirname, '../../scripts/build-console.mjs'), out]);
  assert.deepEqual(fs.readdirSync(out).sort(), ['console.css', 'console.js', 'index.html']);
  const js = fs.readFileSync(path.join(out, 'console.js'), 'utf8');
  assert.ok(js.length > 10_000 && js.length < 100_000, `console.js is ${js.length} bytes`);
  assert.doesNotMatch(js, /from\s*["'](node:|https?:)/, 'no Node or remote imports in the bundle');
});
