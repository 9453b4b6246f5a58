import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runXpush } from '../helpers/process.ts';
import { startServer } from '../helpers/server.ts';
import { api, rawClient } from '../helpers/clients.ts';
import { requireServices, REDIS_URL } from '../helpers/services.ts';
import { RedisProxy } from '../contract/redis-proxy.ts';
import { VERSION } from '../../src/version.ts';
import { buildProgram } from '../../src/cli/program.ts';
import type { Command } from 'commander';
import { waitFor } from './e2e-kit.ts';

const STORE = ['--data-dir', '--store', '--pg-url', '--pg-schema'];
const BROKER = ['--broker', '--redis-url', '--redis-prefix'];
const SERVER = ['--role', '--host', '--port', '--public-url', '--node-id', '--admin-token', '--log-level'];

/** The long options a subcommand takes, read from the command tree. */
function optionsOf(path: string[]): string[] {
  let cmd: Command = buildProgram();
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  return cmd.options.map((o) => o.long!).sort();
}

test('each subcommand takes and lists only the options it uses', { timeout: 60_000 }, async () => {
  const expected: [string[], string[]][] = [
    [['start'], ['--config', ...STORE, ...BROKER, ...SERVER]],
    [['app', 'create'], ['--config', ...STORE, '--json']],
    [['app', 'list'], ['--config', ...STORE, '--json']],
    [['app', 'show'], ['--config', ...STORE, '--json']],
    [['app', 'rotate-secret'], ['--config', ...STORE, '--json']],
    [['app', 'delete'], ['--config', ...STORE, ...BROKER, '--yes']],
    [['token'], ['--config', ...STORE, '--device', '--ttl']],
    [['nodes'], ['--config', ...BROKER]],
    [['publish'], ['--url', '--event', '--id', '--secret', '--admin-token', '--data-dir', '--json']],
    [['health'], ['--url', '--json']],
    [['version'], []],
  ];
  for (const [cmd, opts] of expected) assert.deepEqual(optionsOf(cmd), [...opts].sort(), cmd.join(' '));
  // What --help prints is that list.
  const [help, v, flag, unknown] = await Promise.all([runXpush(['nodes', '--help']), runXpush(['version']), runXpush(['--version']), runXpush(['nodes', '--pg-url', 'postgres://x/y'])]);
  assert.deepEqual([...help.stdout.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]).sort(), ['--broker', '--config', '--redis-prefix', '--redis-url']);
  assert.equal(v.stdout, `xpush ${VERSION} (node ${process.version})\n`);
  assert.equal(flag.stdout, `${VERSION}\n`);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown option '--pg-url'/);
});

test('app show, rotate-secret and delete work on the store; a running server refuses the old secret within 5 s', { timeout: 90_000 }, async (t) => {
  const ts = await startServer(t);
  const dd = ['--data-dir', ts.dataDir];
  const created = await runXpush(['app', 'create', 'shop', '--json', ...dd]);
  assert.equal(created.code, 0, created.stderr);
  const app = JSON.parse(created.stdout) as { id: string; key: string; secret: string; name: string };

  const [shown, text, missing] = await Promise.all([
    runXpush(['app', 'show', app.id, '--json', ...dd]),
    runXpush(['app', 'show', app.id, ...dd]),
    runXpush(['app', 'show', 'app_nope', ...dd]),
  ]);
  assert.deepEqual(JSON.parse(shown.stdout), { ...app, settings: JSON.parse(shown.stdout).settings, createdAt: JSON.parse(shown.stdout).createdAt });
  assert.match(text.stdout, new RegExp(`^id:     ${app.id}\nname:   shop\nkey:    ${app.key}\nsecret: ${app.secret}\ncreated: \\d{4}-.*Z\nsettings: \\{.*\\}\n$`));
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'xpush: no app "app_nope" (xpush app list shows the apps)\n');

  // The running server knows the app (cached) with its first secret.
  assert.equal((await api(ts, app, 'POST', '/tokens', { user: 'alice' })).status, 200);
  const rotated = await runXpush(['app', 'rotate-secret', app.id, '--json', ...dd]);
  assert.equal(rotated.code, 0, rotated.stderr);
  const { secret } = JSON.parse(rotated.stdout) as { secret: string };
  assert.notEqual(secret, app.secret);
  assert.match(secret, /^sk_[A-Za-z0-9_-]{43}$/);
  await waitFor('old secret refused', async () => (await api(ts, app, 'POST', '/tokens', { user: 'alice' })).status === 401, 6000);
  assert.equal((await api(ts, { ...app, secret }, 'POST', '/tokens', { user: 'alice' })).status, 200);
  assert.equal(JSON.parse((await runXpush(['app', 'show', app.id, '--json', ...dd])).stdout).secret, secret);

  const unconfirmed = await runXpush(['app', 'delete', app.id, ...dd]);
  assert.equal(unconfirmed.code, 1);
  assert.match(unconfirmed.stderr, /add --yes to confirm/);
  assert.equal(JSON.parse((await runXpush(['app', 'show', app.id, '--json', ...dd])).stdout).id, app.id, 'nothing deleted');
  const deleted = await runXpush(['app', 'delete', app.id, '--yes', ...dd]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, `deleted ${app.id}\n`);
  assert.match(deleted.stderr, /No Redis broker configured/);
  const [gone, rotateGone] = await Promise.all([runXpush(['app', 'show', app.id, ...dd]), runXpush(['app', 'rotate-secret', app.id, ...dd])]);
  assert.equal(gone.code, 1);
  assert.equal(rotateGone.code, 1);
});

test('app delete with the Redis broker closes the app\'s connections on the running nodes (3503)', { timeout: 60_000 }, async (t) => {
  if (!(await requireServices(t, 'redis'))) return;
  const prefix = `xpc${randomBytes(4).toString('hex')}:`;
  const ts = await startServer(t, { broker: { kind: 'redis', url: REDIS_URL, prefix } });
  const app = await ts.createApp();
  const token = (await api(ts, app, 'POST', '/tokens', { user: 'alice' })).body.token;
  const c = await rawClient(t, ts.wsUrl);
  await c.call('connect', { token });
  const r = await runXpush(['app', 'delete', app.id, '--yes', '--data-dir', ts.dataDir, '--redis-url', REDIS_URL, '--redis-prefix', prefix]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Running nodes were told/);
  assert.deepEqual(await c.waitClosed(), { code: 3503, reason: 'app deleted' });
});

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

  const [viaAdmin, viaSecret, badJson, noCredential, unknownChannel, health] = await Promise.all([
    runXpush(['publish', app.id, 'room', '{"n":1}', ...url, '--admin-token', ts.adminToken]),
    runXpush(['publish', app.id, 'room', '{"n":2}', ...url, '--secret', app.secret, '--event', 'note', '--id', 'm-2', '--json']),
    runXpush(['publish', app.id, 'room', '{n:3}', ...url, '--secret', app.secret]),
    runXpush(['publish', app.id, 'room', '{}', ...url, '--data-dir', empty]),
    runXpush(['publish', app.id, 'nope', '{}', ...url, '--secret', app.secret]),
    runXpush(['health', ...url]),
  ]);
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
  const r = await runXpush(['health', '--url', ts.url, '--json']);
  assert.equal(r.code, 1);
  const body = JSON.parse(r.stdout);
  assert.equal(body.health.status, 'ok');
  assert.equal(body.ready.ready, false);
  assert.match(body.ready.broker, /redis broker unavailable/);
});
