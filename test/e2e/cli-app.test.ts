import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { runXpush } from '../helpers/process.ts';
import { cli } from '../helpers/cli.ts';
import { startServer } from '../helpers/server.ts';
import { api, rawClient } from '../helpers/clients.ts';
import { requireServices, REDIS_URL } from '../helpers/services.ts';
import { VERSION } from '../../src/version.ts';
import { buildProgram } from '../../src/cli/program.ts';
import type { Command } from 'commander';
import { waitFor } from './e2e-kit.ts';
import { FIELDS } from '../../src/config/fields.ts';

const STORE = ['--data-dir', '--store', '--pg-url', '--pg-schema'];
const BROKER = ['--broker', '--redis-url', '--redis-prefix'];
/** `start` takes every setting as a flag (generated from the schema), the older names included. */
const SETTINGS = FIELDS.flatMap((f) => [f.flag, ...f.flagAliases]).map((n) => `--${n}`);

/** The long options a subcommand takes, read from the command tree. */
function optionsOf(path: string[]): string[] {
  let cmd: Command = buildProgram();
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  return cmd.options.map((o) => o.long!).sort();
}

test('each subcommand takes and lists only the options it uses', { timeout: 60_000 }, async () => {
  const expected: [string[], string[]][] = [
    [['start'], ['--config', ...SETTINGS]],
    [['config', 'check'], ['--config']],
    [['config', 'defaults'], []],
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
  // What --help prints is that list (in-process); the real process prints the version and refuses an option of another command.
  const help = await cli(['nodes', '--help']);
  assert.equal(help.code, 0);
  assert.deepEqual([...help.stdout.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]).sort(), ['--broker', '--config', '--redis-prefix', '--redis-url']);
  assert.equal((await cli(['version'])).stdout, `xpush ${VERSION} (node ${process.version})\n`);
  const [flag, unknown] = await Promise.all([runXpush(['--version']), runXpush(['nodes', '--pg-url', 'postgres://x/y'])]);
  assert.equal(flag.stdout, `${VERSION}\n`);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown option '--pg-url'/);
});

test('app show, rotate-secret and delete work on the store; a running server refuses the old secret within 5 s', { timeout: 90_000 }, async (t) => {
  const ts = await startServer(t);
  const dd = ['--data-dir', ts.dataDir];
  // As a real process once: create, and a failure's exit code and stderr.
  const [created, missing] = await Promise.all([runXpush(['app', 'create', 'shop', '--json', ...dd]), runXpush(['app', 'show', 'app_nope', ...dd])]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'xpush: no app "app_nope" (xpush app list shows the apps)\n');
  assert.equal(created.code, 0, created.stderr);
  const app = JSON.parse(created.stdout) as { id: string; key: string; secret: string; name: string };

  const [shown, text, unconfirmed] = [await cli(['app', 'show', app.id, '--json', ...dd]), await cli(['app', 'show', app.id, ...dd]), await cli(['app', 'delete', app.id, ...dd])];
  assert.equal(unconfirmed.code, 1);
  assert.match(unconfirmed.stderr, /add --yes to confirm/);
  assert.deepEqual(JSON.parse(shown.stdout), { ...app, settings: JSON.parse(shown.stdout).settings, createdAt: JSON.parse(shown.stdout).createdAt });
  assert.match(text.stdout, new RegExp(`^id:     ${app.id}\nname:   shop\nkey:    ${app.key}\nsecret: ${app.secret}\ncreated: \\d{4}-.*Z\nsettings: \\{.*\\}\n$`));

  // The running server knows the app (cached) with its first secret.
  assert.equal((await api(ts, app, 'POST', '/tokens', { user: 'alice' })).status, 200);
  const rotated = await cli(['app', 'rotate-secret', app.id, '--json', ...dd]);
  assert.equal(rotated.code, 0, rotated.stderr);
  const { secret } = JSON.parse(rotated.stdout) as { secret: string };
  assert.notEqual(secret, app.secret);
  assert.match(secret, /^sk_[A-Za-z0-9_-]{43}$/);
  await waitFor('old secret refused', async () => (await api(ts, app, 'POST', '/tokens', { user: 'alice' })).status === 401, 6000);
  assert.equal((await api(ts, { ...app, secret }, 'POST', '/tokens', { user: 'alice' })).status, 200, 'the new secret is stored');

  const deleted = await cli(['app', 'delete', app.id, '--yes', ...dd]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, `deleted ${app.id}\n`);
  assert.match(deleted.stderr, /No Redis broker configured/);
  const [gone, rotateGone] = [await cli(['app', 'show', app.id, ...dd]), await cli(['app', 'rotate-secret', app.id, ...dd])];
  assert.deepEqual([gone.code, gone.stderr], [1, `xpush: no app "${app.id}" (xpush app list shows the apps)\n`]);
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
  const r = await cli(['app', 'delete', app.id, '--yes', '--data-dir', ts.dataDir, '--redis-url', REDIS_URL, '--redis-prefix', prefix]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Running nodes were told/);
  assert.deepEqual(await c.waitClosed(), { code: 3503, reason: 'app deleted' });
});

