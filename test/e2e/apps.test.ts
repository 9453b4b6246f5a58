// Item 1 — apps (tenants): the admin HTTP endpoint, the CLI, and isolation between apps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient, userSession } from '../helpers/clients.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

const admin = (ts: TestServer) => ({ authorization: `Bearer ${ts.adminToken}` });

/** A connection token minted by the app's backend (no password hashing: fast). */
async function backendToken(ts: TestServer, app: TestApp, user: string, device = 'd1'): Promise<string> {
  const r = await api(ts, app, 'POST', '/tokens', { user, device });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}

test('admin endpoint: create, list, get, delete an app with the admin token', async (t) => {
  const ts = await startServer(t);
  const created = await ts.http('POST', '/v1/admin/apps', { name: 'chat' }, admin(ts));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const a = created.body;
  assert.equal(a.name, 'chat');
  for (const k of ['id', 'key', 'secret'] as const) assert.ok(typeof a[k] === 'string' && a[k].length >= 8, `${k}: ${a[k]}`);
  assert.notEqual(a.key, a.secret);
  assert.equal(typeof a.createdAt, 'number');

  const b = (await ts.http('POST', '/v1/admin/apps', { name: 'other' }, admin(ts))).body;
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.secret, b.secret);

  const list = await ts.http('GET', '/v1/admin/apps', undefined, admin(ts));
  assert.equal(list.status, 200);
  const ids = list.body.apps.map((x: { id: string }) => x.id).sort();
  assert.deepEqual(ids, [a.id, b.id].sort());
  for (const x of list.body.apps) assert.equal(x.secret, undefined, 'the list must not leak secrets');
  assert.equal(list.body.apps.find((x: { id: string }) => x.id === a.id).key, a.key);

  const got = await ts.http('GET', `/v1/admin/apps/${a.id}`, undefined, admin(ts));
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, a);

  const del = await ts.http('DELETE', `/v1/admin/apps/${a.id}`, undefined, admin(ts));
  assert.equal(del.status, 200);
  assert.deepEqual(del.body, { deleted: true });
  assert.equal((await ts.http('GET', `/v1/admin/apps/${a.id}`, undefined, admin(ts))).status, 404);
  assert.equal((await ts.http('DELETE', `/v1/admin/apps/${a.id}`, undefined, admin(ts))).status, 404);
  const after = (await ts.http('GET', '/v1/admin/apps', undefined, admin(ts))).body.apps.map((x: { id: string }) => x.id);
  assert.deepEqual(after, [b.id]);
});

test('admin endpoint refuses a missing or wrong admin token (401, code 101) and changes nothing', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp('keep');
  const bad: Record<string, string>[] = [{}, { authorization: 'Bearer nope' }, { authorization: ts.adminToken }, { authorization: `Bearer ${app.secret}` }];
  for (const h of bad) {
    for (const [method, p, body] of [
      ['POST', '/v1/admin/apps', { name: 'x' }],
      ['GET', '/v1/admin/apps', undefined],
      ['GET', `/v1/admin/apps/${app.id}`, undefined],
      ['DELETE', `/v1/admin/apps/${app.id}`, undefined],
    ] as const) {
      const r = await ts.http(method, p, body, h);
      assert.equal(r.status, 401, `${method} ${p} with ${JSON.stringify(h)}: ${r.status}`);
      assert.equal(r.body.error.code, 101);
      assert.equal(JSON.stringify(r.body).includes(app.secret), false);
    }
  }
  const list = await ts.http('GET', '/v1/admin/apps', undefined, admin(ts));
  assert.deepEqual(list.body.apps.map((x: { id: string }) => x.id), [app.id]);
  // Bad bodies are validated too.
  const empty = await ts.http('POST', '/v1/admin/apps', { name: '' }, admin(ts));
  assert.equal(empty.status, 400);
  assert.equal(empty.body.error.code, 107);
});

test('isolation: credentials, users, tokens and channels of app A are useless against app B', async (t) => {
  const ts = await startServer(t);
  const A = await ts.createApp('A');
  const B = await ts.createApp('B');

  // A's secret does not open B's server API; A's public key does not register in B.
  const wrongSecret = await ts.http('POST', `/v1/apps/${B.id}/tokens`, { user: 'x' }, { 'x-api-key': A.secret });
  assert.equal(wrongSecret.status, 401);
  assert.equal((await ts.http('GET', `/v1/apps/${B.id}/connections`, undefined, { 'x-api-key': A.secret })).status, 401);
  const wrongKey = await ts.http('POST', `/v1/apps/${B.id}/users`, { user: 'mallory', password: 'password-123' }, { 'x-app-key': A.key });
  assert.equal(wrongKey.status, 401);

  // A user of A does not exist in B: same credentials, refused.
  const alice = await userSession(ts, A, 'alice');
  const cross = await ts.http('POST', `/v1/apps/${B.id}/auth/login`, { user: 'alice', password: 'correct-horse-1', device: 'phone' }, { 'x-app-key': B.key });
  assert.equal(cross.status, 401);
  // A's access token is refused on B's user endpoints.
  const dev = await ts.http('GET', `/v1/apps/${B.id}/me/devices`, undefined, { authorization: `Bearer ${alice.accessToken}` });
  assert.equal(dev.status, 401);
  const logout = await ts.http('POST', `/v1/apps/${B.id}/auth/logout`, {}, { authorization: `Bearer ${alice.accessToken}` });
  assert.equal(logout.status, 401);
  // A refresh token of A is unknown to B.
  const refresh = await ts.http('POST', `/v1/apps/${B.id}/auth/refresh`, { refreshToken: alice.refreshToken }, { 'x-app-key': B.key });
  assert.equal(refresh.status, 401);

  // Same channel name in both apps: two different channels.
  await backendToken(ts, B, 'alice'); // creates B's own "alice"
  assert.equal((await api(ts, A, 'POST', '/channels', { channel: 'room', members: ['alice'], data: { app: 'A' } })).status, 201);
  assert.equal((await api(ts, B, 'POST', '/channels', { channel: 'room', members: ['alice'], data: { app: 'B' } })).status, 201);
  const bOnly = await api(ts, B, 'POST', '/channels', { channel: 'b-only', type: 'open' });
  assert.equal(bOnly.status, 201);

  const c = await rawClient(t, ts.wsUrl);
  const conn = await c.call('connect', { token: alice.accessToken });
  assert.ok(conn.connect, JSON.stringify(conn));
  // B's open channel does not exist for an A connection.
  assert.equal((await c.call('subscribe', { channel: 'b-only' })).error?.code, 102);
  assert.equal((await c.call('publish', { channel: 'b-only', data: 1 })).error?.code, 102);
  const get = await c.call('rpc', { method: 'channel.get', data: { channel: 'room' } });
  assert.deepEqual(get.rpc.data.data, { app: 'A' });
  const pub = await c.call('publish', { channel: 'room', data: { hello: 'A' } });
  assert.equal(pub.publish.offset, 1);

  // Nothing reached B's "room"; B's backend cannot read A's history or A's connections.
  const hB = await api(ts, B, 'GET', '/channels/room/history');
  assert.equal(hB.status, 200);
  assert.deepEqual(hB.body.publications, []);
  assert.equal(hB.body.offset, 0);
  assert.deepEqual((await api(ts, B, 'GET', '/connections')).body.connections, []);
  const connsA = (await api(ts, A, 'GET', '/connections')).body.connections;
  assert.equal(connsA.length, 1);
  assert.equal(connsA[0].user, 'alice');
  // B's user search does not see A-only users.
  await userSession(ts, A, 'only-in-a');
  const users = (await api(ts, B, 'GET', '/users?prefix=only')).body.users;
  assert.deepEqual(users, []);
});

test('a token signed by app A but claiming app B is refused (3500)', async (t) => {
  const ts = await startServer(t);
  const A = await ts.createApp('A');
  const B = await ts.createApp('B');
  const { SignJWT } = await import('jose');
  const forged = await new SignJWT({ app: B.id }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice')
    .setExpirationTime('1h').sign(new TextEncoder().encode(A.secret));
  const c = await rawClient(t, ts.wsUrl);
  c.sendRaw(JSON.stringify({ id: 1, connect: { token: forged } }));
  const closed = await c.waitClosed();
  assert.equal(closed.code, 3500);
});

test('deleting an app makes its secret, key and tokens useless', async (t) => {
  const ts = await startServer(t);
  const A = await ts.createApp('gone');
  const token = await backendToken(ts, A, 'bob');
  assert.equal((await ts.http('DELETE', `/v1/admin/apps/${A.id}`, undefined, admin(ts))).status, 200);
  // A deleted app's credentials are simply wrong ones (401): answers never tell which app ids exist.
  assert.equal((await api(ts, A, 'POST', '/tokens', { user: 'bob' })).status, 401);
  assert.equal((await ts.http('POST', `/v1/apps/${A.id}/users`, { user: 'z', password: 'password-123' }, { 'x-app-key': A.key })).status, 401);
  const c = await rawClient(t, ts.wsUrl);
  c.sendRaw(JSON.stringify({ id: 1, connect: { token } }));
  assert.equal((await c.waitClosed()).code, 3500);
});

test('CLI `xpush app create NAME --json` makes an app that a server on the same data dir accepts', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-cli-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const { stdout } = await run(process.execPath, ['bin/xpush.js', 'app', 'create', 'cli-app', '--data-dir', dataDir, '--json'], { cwd: ROOT, timeout: 20_000 });
  const app = JSON.parse(stdout);
  assert.equal(app.name, 'cli-app');
  assert.ok(app.id && app.key && app.secret, stdout);

  const ts = await startServer(t, { dataDir });
  const got = await ts.http('GET', `/v1/admin/apps/${app.id}`, undefined, admin(ts));
  assert.equal(got.status, 200);
  assert.equal(got.body.secret, app.secret);
  const tApp: TestApp = { id: app.id, key: app.key, secret: app.secret };
  const s = await userSession(ts, tApp, 'carol');
  const c = await rawClient(t, ts.wsUrl);
  const conn = await c.call('connect', { token: s.accessToken });
  assert.equal(conn.connect?.data?.user, 'carol', JSON.stringify(conn));
});
