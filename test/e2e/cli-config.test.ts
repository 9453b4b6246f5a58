import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runXpush, spawnXpush } from '../helpers/process.ts';

// The real CLI process: exit codes, stderr without a stack trace, and the config commands.
// Every XPUSH_* variable of the test process is blanked so only the ones a case sets count.
const clean = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('XPUSH_')).map((k) => [k, '']));
const noStack = (stderr: string) => assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');

test('start refuses bad config from each source, naming it, with exit code 1', { timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-cfg-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'xpush.json');
  fs.writeFileSync(file, JSON.stringify({ prot: 8080 }));
  const data = ['--data-dir', path.join(dir, 'data')];
  const [fromFile, fromEnv, fromFlag, conflict] = await Promise.all([
    runXpush(['start', '--config', file, ...data], clean),
    runXpush(['start', ...data], { ...clean, XPUSH_PORT: 'abc' }),
    runXpush(['start', ...data, '--max-message-bytes', 'lots'], clean),
    runXpush(['start', ...data, '--max-frame-bytes', '5000'], clean),
  ]);
  assert.deepEqual([fromFile.code, fromEnv.code, fromFlag.code, conflict.code], [1, 1, 1, 1]);
  assert.equal(fromFile.stderr, `xpush: config file ${file}: "prot" is not a setting (did you mean "port"?)\n`);
  assert.equal(fromEnv.stderr, 'xpush: XPUSH_PORT: expected an integer 0..65535, got "abc"\n');
  assert.equal(fromFlag.stderr, 'xpush: --max-message-bytes: expected a positive integer, got "lots"\n');
  assert.match(conflict.stderr, /^xpush: maxFrameBytes \(5000\) must be at least maxMessageBytes \(65536\) \+ 4096, .*\(maxFrameBytes from --max-frame-bytes; maxMessageBytes from the default\)\n$/);
  for (const r of [fromFile, fromEnv, fromFlag, conflict]) noStack(r.stderr);
  assert.ok(!fs.existsSync(path.join(dir, 'data')), 'nothing was created');
});

test('config defaults round-trips through config check; check masks secrets and fails on errors', { timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-cfg-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const defaults = await runXpush(['config', 'defaults'], clean);
  assert.equal(defaults.code, 0, defaults.stderr);
  const file = path.join(dir, 'defaults.json');
  fs.writeFileSync(file, defaults.stdout);
  const [checked, noFile, secret, bad, help] = await Promise.all([
    runXpush(['config', 'check', '--config', file], clean),
    runXpush(['config', 'check'], clean),
    runXpush(['config', 'check'], { ...clean, XPUSH_ADMIN_TOKEN: 'hunter2-token', XPUSH_PG_URL: 'postgres://xp:pg-pass@db:5432/x', XPUSH_PORT: '9000' }),
    runXpush(['config', 'check'], { ...clean, XPUSH_LOG_LEVEL: 'loud' }),
    runXpush(['config', 'check', '--help'], clean),
  ]);
  assert.equal(checked.code, 0, checked.stderr);
  assert.equal(checked.stdout, defaults.stdout, 'the defaults file gives the default effective config');
  assert.equal(noFile.stdout, defaults.stdout);
  assert.match(noFile.stderr, /config ok \(all defaults\)/);
  const parsed = JSON.parse(defaults.stdout);
  assert.equal(parsed.maxMessageBytes, 65536);
  assert.equal(parsed.adminToken, null, 'settings without a default are listed as null');
  assert.equal(secret.code, 0, secret.stderr);
  assert.doesNotMatch(secret.stdout, /hunter2|pg-pass/);
  const eff = JSON.parse(secret.stdout);
  assert.equal(eff.adminToken, '***');
  assert.equal(eff.store.url, 'postgres://xp:***@db:5432/x');
  assert.equal(eff.port, 9000);
  assert.match(secret.stderr, /set by .*XPUSH_PORT/);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'xpush: XPUSH_LOG_LEVEL: expected fatal, error, warn, info, debug, trace or silent, got "loud"\n');
  assert.equal(bad.stdout, '');
  assert.match(help.stdout, /--config <file>/);
  assert.doesNotMatch(help.stdout, /--port|--data-dir|--store/, 'config check shows only the option it uses');
});

test('start takes a generated flag and variable: a setting that had neither before is in effect', { timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-cfg-'));
  const srv = await spawnXpush(['--port', '0', '--host', '127.0.0.1', '--data-dir', dir, '--http-streaming', 'false'], { ...clean, XPUSH_UNIDIRECTIONAL: 'false' });
  t.after(async () => {
    srv.proc.kill('SIGTERM');
    await srv.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const help = await runXpush(['start', '--help'], clean);
  assert.match(help.stdout, /--webhook-delivery-poll-ms <n>/);
  assert.match(help.stdout, /Limits:\n/);
  // Both fallbacks off: their endpoints are not served (404), while the WebSocket endpoint is.
  for (const p of ['/connection/http_stream', '/connection/uni_sse']) assert.equal((await fetch(srv.url + p, { method: 'POST', body: '{}' })).status, 404, p);
  assert.equal((await fetch(srv.url + '/health')).status, 200);
});
