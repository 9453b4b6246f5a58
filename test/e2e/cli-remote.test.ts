import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runXpush } from '../helpers/process.ts';
import { cli } from '../helpers/cli.ts';
import { startServer } from '../helpers/server.ts';
import { api, rawClient } from '../helpers/clients.ts';
import { requireServices, REDIS_URL } from '../helpers/services.ts';
import { RedisProxy } from '../contract/redis-proxy.ts';
import { VERSION } from '../../src/version.ts';
import { waitFor } from './e2e-kit.ts';

test('publish and health ask a running server', { timeout: 90_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'room', type: 'open' });
  const token = (await api(ts, app, 'POST', '/tokens', { user: 'alice' })).body.token;
  const c = await rawClient(t, ts.wsUrl);
  await c.call('connect', { token });
  await c.call('subscribe', { channel: 'room' });
  const url = ['--url', ts.url];
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-cli-'));
  t.after(() => fs.rmSync(empty, { recursive: true, force: true }));

  // In-process (the same command tree as the binary); the process itself is run below for health.
  const viaAdmin = await cli(['publish', app.id, 'room', '{"n":1}', ...url, '--admin-token', ts.adminToken]);
  const viaSecret = await cli(['publish', app.id, 'room', '{"n":2}', ...url, '--secret', app.secret, '--event', 'note', '--id', 'm-2', '--json']);
  const badJson = await cli(['publish', app.id, 'room', '{n:3}', ...url, '--secret', app.secret]);
  const noCredential = await cli(['publish', app.id, 'room', '{}', ...url, '--data-dir', empty]);
  const unknownChannel = await cli(['publish', app.id, 'nope', '{}', ...url, '--secret', app.secret]);
  const health = await runXpush(['health', ...url]);
  assert.equal(viaAdmin.code, 0, viaAdmin.stderr);
  assert.match(viaAdmin.stdout, /^published: channel room, offset [12], id \S+\n$/);
  assert.equal(viaSecret.code, 0, viaSecret.stderr);
  assert.equal(JSON.parse(viaSecret.stdout).id, 'm-2');
  await waitFor('both publications delivered', () => c.received.filter((m) => m.push?.pub).length === 2);
  const datas = c.received.filter((m) => m.push?.pub).map((m) => m.push.pub.data).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  assert.equal(datas.length, 2);
  assert.equal(badJson.code, 1);
  assert.match(badJson.stderr, /^xpush: <json> must be JSON/);
  assert.equal(noCredential.code, 1);
  assert.match(noCredential.stderr, /no app secret given \(--secret, XPUSH_APP_SECRET\) and no admin token to look it up: cannot read .*admin-token \(ENOENT\)/);
  assert.equal(unknownChannel.code, 1);
  assert.match(unknownChannel.stderr, /^xpush: publish refused \(404\): /);
  assert.equal(health.code, 0, health.stderr);
  assert.equal(health.stdout, `alive: node ${ts.server.nodeId}, version ${VERSION} at ${ts.url}\nready: store ok, broker ok\n`);

  await ts.server.close();
  const down = await runXpush(['health', ...url]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, new RegExp(`^xpush: cannot reach the server at ${ts.url} \\(ECONNREFUSED\\); is it running\\? Check --url \\(env XPUSH_URL\\)\n$`));
});

test('health exits 1 and says why when the server is alive but not ready', { timeout: 60_000 }, async (t) => {
  if (!(await requireServices(t, 'redis'))) return;
  const proxy = new RedisProxy(REDIS_URL);
  await proxy.up();
  t.after(() => proxy.down());
  const ts = await startServer(t, { broker: { kind: 'redis', url: proxy.url, prefix: `xpc${randomBytes(4).toString('hex')}:` } });
  await proxy.down();
  await waitFor('not ready', async () => (await ts.http('GET', '/ready')).status === 503);
  const r = await cli(['health', '--url', ts.url, '--json']);
  assert.equal(r.code, 1);
  const body = JSON.parse(r.stdout);
  assert.equal(body.health.status, 'ok');
  assert.equal(body.ready.ready, false);
  assert.match(body.ready.broker, /redis broker unavailable/);
});
