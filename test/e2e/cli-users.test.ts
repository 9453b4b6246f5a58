// Issue 11: the CLI's user operations and per-app limits (`xpush user …`, `xpush app limits …`)
// against a running server, with a real client on the other end. The commands run in this process
// (the same commander program the bin builds, with its output collected); one runs as the real
// `bin/xpush.js` process, reading the new password from stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { registerLimitsCommand, registerUserCommands } from '../../src/cli/user-commands.ts';
import { startServer } from '../helpers/server.ts';
import { userSession } from '../helpers/clients.ts';
import { closesOf } from '../helpers/closes.ts';
import { connectSdk, messagesOf, tokenFor, waitFor } from './e2e-kit.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

test('xpush user send / disconnect / disable / enable / set-password / revoke-sessions / delete, and xpush app limits', { timeout: 60_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const cli = async (...args: string[]): Promise<string> => {
    let out = '';
    const program = new Command('xpush').exitOverride();
    registerLimitsCommand(program.command('app'), (s) => void (out += s));
    registerUserCommands(program, (s) => void (out += s));
    const token = args.includes('--admin-token') ? [] : ['--admin-token', ts.adminToken];
    await program.parseAsync([...args, '--url', ts.url, ...token], { from: 'user' });
    return out;
  };
  const bob = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'phone'));
  const got = messagesOf(bob.c);
  const closes = closesOf(bob.c);

  assert.deepEqual(JSON.parse(await cli('user', 'send', app.id, 'bob', '{"text":"hi"}')), { sent: true, online: true });
  await waitFor('the push', () => got.length === 1);
  assert.deepEqual(got, [{ text: 'hi' }]);
  await assert.rejects(cli('user', 'send', app.id, 'bob', 'not json'), /must be JSON/);

  assert.deepEqual(JSON.parse(await cli('user', 'disconnect', app.id, 'bob', '--device', 'phone', '--code', '3011')), { matched: 1, code: 3011, reason: 'force reconnect', reconnect: true });
  await waitFor('reconnect code', () => closes.length === 1);
  assert.deepEqual(closes[0], { code: 3011, reason: 'force reconnect', reconnecting: true });
  await waitFor('bob back', () => bob.c.state === 'connected');

  assert.deepEqual(JSON.parse(await cli('user', 'disable', app.id, 'bob')), { user: 'bob', disabled: true });
  await waitFor('bob closed for good', () => bob.c.state === 'disconnected');
  assert.deepEqual(closes.at(-1), { code: 3503, reason: 'user disabled', reconnecting: false });
  assert.deepEqual(JSON.parse(await cli('user', 'enable', app.id, 'bob')), { user: 'bob', disabled: false });
  await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'bob', 'phone'));

  // A password user: the new password comes on stdin.
  const alice = await userSession(ts, app, 'alice', 'phone');
  const setPw = spawn(process.execPath, ['bin/xpush.js', 'user', 'set-password', app.id, 'alice', '--url', ts.url, '--admin-token', ts.adminToken], { cwd: ROOT });
  let out = '';
  setPw.stdout.on('data', (d: Buffer) => (out += d.toString()));
  setPw.stdin.end('from-stdin-secret\n');
  assert.equal(await new Promise((r) => setPw.on('exit', r)), 0);
  assert.deepEqual(JSON.parse(out), { revokedSessions: 1 });
  const login = await ts.http('POST', `/v1/apps/${app.id}/auth/login`, { user: 'alice', password: 'from-stdin-secret', device: 'web' }, { 'x-app-key': app.key });
  assert.equal(login.status, 200);
  assert.equal((await ts.http('POST', `/v1/apps/${app.id}/auth/refresh`, { refreshToken: alice.refreshToken }, { 'x-app-key': app.key })).status, 401);
  assert.deepEqual(JSON.parse(await cli('user', 'revoke-sessions', app.id, 'alice')), { revokedSessions: 1 });
  assert.deepEqual(JSON.parse(await cli('user', 'delete', app.id, 'alice')), { deleted: true });
  await assert.rejects(cli('user', 'delete', app.id, 'alice'), /404/);

  // Limits: show, override, reset.
  const table = await cli('app', 'limits', app.id, '--set', 'maxConnectionsPerUser=2', '--set', 'maxPresenceSize=10');
  assert.match(table, /^maxConnectionsPerUser\t2\tapp$/m);
  assert.match(table, /^maxPresenceSize\t10\tapp$/m);
  assert.match(table, /^maxMessageBytes\t65536\tdefault$/m);
  const reset = JSON.parse(await cli('app', 'limits', app.id, '--reset', 'maxConnectionsPerUser', '--json'));
  assert.deepEqual(reset.overrides, { maxPresenceSize: 10 });
  await assert.rejects(cli('app', 'limits', app.id, '--set', 'maxChannelsPerConnection=0'), /400/);
  await assert.rejects(cli('app', 'limits', app.id, '--set', 'oops'), /name=value/);
  await assert.rejects(cli('user', 'disable', app.id, 'bob', '--admin-token', 'wrong'), /401/);
});
