// Issue 8 (hardening), the channel-server items: refresh checks, the channel limit under pipelining,
// drain acks, over-size messages, bounded replies, app deletion. Real server, raw frames and SDKs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PG_URL, requireServices } from '../helpers/services.ts';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient, userSession, type RawClient } from '../helpers/clients.ts';
import { XPush, XPushError } from '../../src/client/index.ts';
import { waitFor, startBuilt, testConfig } from './e2e-kit.ts';
import { createServer } from '../../src/index.ts';
import { spawnXpush } from '../helpers/process.ts';

type T = Parameters<typeof rawClient>[0];

/** Offsets stored in the app's channel, read from the store itself once the server is gone. */
async function storedOffsets(store: 'sqlite' | 'postgres', where: string, app: string): Promise<number[]> {
  const sql = 'SELECT msg_offset FROM messages WHERE app_id = $1 ORDER BY msg_offset';
  if (store === 'sqlite') {
    const db = new Database(where, { readonly: true });
    try {
      return db.prepare(sql.replace('$1', '?')).pluck().all(app) as number[];
    } finally {
      db.close();
    }
  }
  const db = new pg.Client({ connectionString: PG_URL });
  await db.connect();
  try {
    return (await db.query(sql.replace('messages', `"${where}".messages`), [app])).rows.map((r) => Number(r.msg_offset));
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS "${where}" CASCADE`);
    await db.end();
  }
}

async function connected(t: T, ts: TestServer, token: string): Promise<RawClient> {
  const c = await rawClient(t, ts.wsUrl);
  const r = await c.call('connect', { token });
  assert.ok(r.connect, JSON.stringify(r));
  return c;
}

async function backendToken(ts: TestServer, app: TestApp, user: string, device = 'dev'): Promise<string> {
  const r = await api(ts, app, 'POST', '/tokens', { user, device });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}

test('refresh refuses a logged-out session, another device, and a token without the session (3500)', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const phone = await userSession(ts, app, 'alice', 'phone');
  const tablet = await userSession(ts, app, 'alice', 'tablet');
  const bad = [
    { why: 'logged-out session', token: phone.accessToken },
    { why: 'same user, other device', token: (await userSession(ts, app, 'alice', 'laptop')).accessToken },
    { why: 'no session (backend token)', token: await backendToken(ts, app, 'alice', 'tablet') },
  ];
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/auth/logout`, undefined, { authorization: `Bearer ${phone.accessToken}` })).status, 200);
  for (const b of bad) {
    const c = await connected(t, ts, tablet.accessToken);
    c.sendRaw(JSON.stringify({ id: 7, refresh: { token: b.token } }));
    const closed = await c.waitClosed();
    assert.equal(closed.code, 3500, `${b.why}: ${JSON.stringify(closed)}`);
    assert.equal(c.received.find((m) => m.id === 7), undefined, `${b.why}: no refresh reply`);
  }
  // The legitimate token of the same session still refreshes.
  const c = await connected(t, ts, tablet.accessToken);
  const again = await ts.http('POST', `/v1/apps/${app.id}/auth/refresh`, { refreshToken: tablet.refreshToken }, { 'x-app-key': app.key });
  assert.equal(again.status, 200);
  const r = await c.call('refresh', { token: again.body.accessToken });
  assert.ok(r.refresh?.ttl > 0, JSON.stringify(r));
});

test('the channels-per-connection limit holds for subscribes pipelined in one frame and in many frames', async (t) => {
  const ts = await startServer(t, { maxChannelsPerConnection: 5 });
  const app = await ts.createApp();
  const token = await backendToken(ts, app, 'alice');
  for (let i = 0; i < 20; i++) assert.equal((await api(ts, app, 'POST', '/channels', { channel: `ch${i}`, type: 'open' })).status, 201);
  const subs = (from: number) => Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: from + i, subscribe: { channel: `ch${i}` } }));

  const one = await connected(t, ts, token);
  one.sendRaw(subs(100).join('\n'));
  const r1 = await Promise.all(Array.from({ length: 20 }, (_, i) => one.waitFor((m) => m.id === 100 + i)));
  assert.equal(r1.filter((m) => m.subscribe).length, 5);
  assert.deepEqual([...new Set(r1.filter((m) => m.error).map((m) => m.error.code))], [106]);

  const many = await connected(t, ts, token);
  for (const f of subs(200)) many.sendRaw(f);
  const r2 = await Promise.all(Array.from({ length: 20 }, (_, i) => many.waitFor((m) => m.id === 200 + i)));
  assert.equal(r2.filter((m) => m.subscribe).length, 5);

  const conns = await api(ts, app, 'GET', '/connections');
  for (const c of conns.body.connections) assert.equal(c.channels.length, 5, JSON.stringify(c));
  // A subscribe pipelined with a publish does not let the publish skip the membership check.
  await backendToken(ts, app, 'bob');
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'secret', members: ['bob'] })).status, 201);
  const sneaky = await connected(t, ts, await backendToken(ts, app, 'mallory'));
  sneaky.sendRaw([JSON.stringify({ id: 11, subscribe: { channel: 'secret' } }), JSON.stringify({ id: 12, publish: { channel: 'secret', data: 'x' } })].join('\n'));
  assert.equal((await sneaky.waitFor((m) => m.id === 12)).error?.code, 103);
  assert.equal((await sneaky.waitFor((m) => m.id === 11)).error?.code, 103);
});

for (const store of ['sqlite', 'postgres'] as const) test(`SIGTERM (${store}) acknowledges every stored publish and answers the rest with 503 before closing with 3001`, async (t) => {
  if (store === 'postgres' && !(await requireServices(t, 'postgres'))) return;
  const schema = `xpt_drain_${randomBytes(4).toString('hex')}`;
  const storeArgs = store === 'postgres' ? ['--store', 'postgres', '--pg-url', PG_URL, '--pg-schema', schema] : [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-drain-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const srv = await spawnXpush(['--host', '127.0.0.1', '--port', '0', '--data-dir', dir, '--admin-token', 'drain-admin', '--log-level', 'info', ...storeArgs]);
  t.after(() => { if (srv.proc.exitCode === null) srv.proc.kill('SIGKILL'); });
  const http = async (method: string, p: string, body: unknown, headers: Record<string, string>) => {
    const r = await fetch(srv.url + p, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return r.json() as Promise<any>;
  };
  const app = await http('POST', '/v1/admin/apps', { name: 'drain' }, { authorization: 'Bearer drain-admin' });
  await http('POST', `/v1/apps/${app.id}/channels`, { channel: 'room', type: 'open' }, { 'x-api-key': app.secret });
  const acked = new Set<number>();
  const refused: number[] = [];
  const clients: RawClient[] = [];
  for (let i = 0; i < 50; i++) {
    const { token } = await http('POST', `/v1/apps/${app.id}/tokens`, { user: `u${i}` }, { 'x-api-key': app.secret });
    const c = await rawClient(t, srv.wsUrl);
    assert.ok((await c.call('connect', { token })).connect);
    clients.push(c);
  }
  let running = true;
  const loops = clients.map(async (c, i) => {
    let id = 10;
    const inflight = new Set<number>();
    c.ws.on('message', (d) => {
      for (const line of d.toString().split('\n')) {
        if (!line) continue;
        const m = JSON.parse(line);
        if (!inflight.delete(m.id)) continue;
        if (m.publish) acked.add(m.publish.offset);
        else if (m.error) refused.push(m.error.code);
      }
    });
    while (running && !c.closed && c.ws.readyState === WebSocket.OPEN) {
      while (inflight.size < 20) {
        inflight.add(++id);
        c.sendRaw(JSON.stringify({ id, publish: { channel: 'room', data: { from: i, n: id } } }));
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  });
  await new Promise((r) => setTimeout(r, 500));
  srv.proc.kill('SIGTERM');
  assert.equal(await srv.exited, 0, srv.stderr());
  running = false;
  await Promise.all(loops);
  for (const c of clients) assert.equal((await c.waitClosed()).code, 3001);
  const stored = await storedOffsets(store, store === 'sqlite' ? path.join(dir, 'xpush.db') : schema, app.id);
  assert.ok(stored.length > 100, `publishers ran (${stored.length} stored)`);
  const missing = stored.filter((o) => !acked.has(o));
  assert.deepEqual(missing, [], `stored but never acknowledged (${stored.length} stored, ${acked.size} acked)`);
  assert.equal(acked.size, stored.length, 'nothing acknowledged that is not stored');
  assert.ok(refused.every((code) => code === 503), `refusals are 503: ${[...new Set(refused)]}`);
});

test('a shutdown waits for running commands: a publish inside a slow hook and a slow rpc are answered before 3001', async (t) => {
  const server = await createServer(testConfig());
  server.hook('beforePublish', async () => { await new Promise((r) => setTimeout(r, 300)); });
  server.command('slow', async () => { await new Promise((r) => setTimeout(r, 300)); return { done: true }; });
  const ts = await startBuilt(t, server, server.config.dataDir);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'room', type: 'open' });
  const c = await connected(t, ts, await backendToken(ts, app, 'alice'));
  c.sendRaw([JSON.stringify({ id: 11, publish: { channel: 'room', data: 'in flight' } }), JSON.stringify({ id: 12, rpc: { method: 'slow' } })].join('\n'));
  await new Promise((r) => setTimeout(r, 50));
  const closing = server.close();
  await new Promise((r) => setTimeout(r, 50));
  c.sendRaw(JSON.stringify({ id: 13, rpc: { method: 'slow' } }));
  await closing;
  assert.equal((await c.waitClosed()).code, 3001);
  const byId = (id: number) => c.received.find((m) => m.id === id);
  assert.equal(byId(11)?.publish?.offset, 1, JSON.stringify(c.received));
  assert.deepEqual(byId(12)?.rpc, { data: { done: true } });
  assert.equal(byId(13)?.error?.code, 503, 'a command arriving during the drain is refused, not dropped');
});

test('a message over maxMessageBytes gets error 106 and the connection stays (raw frame and XPush SDK)', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'room', type: 'open' });
  const c = await connected(t, ts, await backendToken(ts, app, 'alice'));
  const big = 'x'.repeat(100 * 1024);
  const r = await c.call('publish', { channel: 'room', data: big });
  assert.equal(r.error?.code, 106, JSON.stringify(r).slice(0, 200));
  assert.equal((await c.call('publish', { channel: 'room', data: 'small' })).publish?.offset, 1, 'still connected');

  const xp = new XPush({ url: ts.url, app: app.id, appKey: app.key, websocket: WebSocket });
  t.after(() => xp.disconnect());
  xp.useToken(await backendToken(ts, app, 'bob'));
  await xp.connect();
  const started = Date.now();
  const err = await xp.send('room', 'chat', { text: big }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof XPushError && err.code === 106, String(err));
  assert.ok(Date.now() - started < 2000, 'answered at once, not by a timeout');
  assert.equal(xp.state, 'connected');
  assert.equal((await xp.send('room', 'chat', { text: 'fits' })).offset, 2);
});

test('history and recovery replies stay within maxReplyBytes; a paused reader is cut off (3008)', async (t) => {
  const ts = await startServer(t, { maxReplyBytes: 64 * 1024, maxWriteBufferBytes: 256 * 1024 });
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'big', type: 'open' });
  const blob = 'y'.repeat(10_000);
  for (let i = 0; i < 20; i++) assert.equal((await api(ts, app, 'POST', '/publish', { channel: 'big', data: { i, blob } })).status, 200);
  const token = await backendToken(ts, app, 'alice');
  const c = await connected(t, ts, token);

  const h = await c.call('history', { channel: 'big', limit: 100 });
  const got = h.history.publications.length;
  assert.ok(got >= 1 && got <= 7, `one page holds at most ~64 KiB of payload, got ${got}`);
  assert.deepEqual(h.history.publications.map((p: { offset: number }) => p.offset), Array.from({ length: got }, (_, i) => i + 1));
  const next = await c.call('history', { channel: 'big', limit: 100, since: { offset: got, epoch: h.history.epoch } });
  assert.equal(next.history.publications[0].offset, got + 1, 'paging continues where the cut page stopped');

  const far = await c.call('subscribe', { channel: 'big', recover: true, offset: 0, epoch: h.history.epoch });
  assert.equal(far.subscribe.recovered, false, 'more than the budget: not recovered (never partially)');
  assert.equal(far.subscribe.publications, undefined);
  await c.call('unsubscribe', { channel: 'big' });
  const near = await c.call('subscribe', { channel: 'big', recover: true, offset: 17, epoch: h.history.epoch });
  assert.equal(near.subscribe.recovered, true);
  assert.deepEqual(near.subscribe.publications.map((p: { offset: number }) => p.offset), [18, 19, 20]);

  // A reader that stops reading while asking for pages: its queue passes maxWriteBufferBytes → 3008.
  const paused = await connected(t, ts, token);
  paused.ws.pause();
  for (let i = 0; i < 200; i++) paused.sendRaw(JSON.stringify({ id: 100 + i, history: { channel: 'big', limit: 100 } }));
  await new Promise((r) => setTimeout(r, 500));
  paused.ws.resume();
  assert.equal((await paused.waitClosed(5000)).code, 3008);
});

test('deleting an app closes its live connections (3503) and its tokens stop working', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp('doomed');
  const other = await ts.createApp('survivor');
  const token = await backendToken(ts, app, 'alice');
  const c = await connected(t, ts, token);
  const o = await connected(t, ts, await backendToken(ts, other, 'alice'));
  const del = await ts.http('DELETE', `/v1/admin/apps/${app.id}`, undefined, { authorization: `Bearer ${ts.adminToken}` });
  assert.equal(del.status, 200);
  const closed = await c.waitClosed();
  assert.deepEqual(closed, { code: 3503, reason: 'app deleted' });
  const again = await rawClient(t, ts.wsUrl);
  again.sendRaw(JSON.stringify({ id: 1, connect: { token } }));
  assert.equal((await again.waitClosed()).code, 3500);
  await waitFor('other app untouched', () => !o.closed && o.ws.readyState === WebSocket.OPEN);
  assert.ok((await o.call('presence_stats', { channel: 'nope' })).error, 'other app still answers');
});
