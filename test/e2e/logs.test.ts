import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { runXpush, spawnXpush, type ServerProcess } from '../helpers/process.ts';
import { cli } from '../helpers/cli.ts';
import { RawClient } from '../helpers/clients.ts';
import { waitFor } from './e2e-kit.ts';
import { createServer } from '../../src/index.ts';
import { InfraError } from '../../src/infra-error.ts';

function tempDir(t: { after(fn: () => unknown): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-logs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function stopped(t: { after(fn: () => unknown): void }, p: ServerProcess): Promise<ServerProcess> {
  t.after(async () => {
    if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    await p.exited;
  });
  return p;
}

const jsonLines = (text: string): any[] => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

test('an infrastructure failure at start names the component, the cause and the setting to check', { timeout: 90_000 }, async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'file'), '');
  const base = ['start', '--host', '127.0.0.1', '--port', '0'];
  // The binary: exit code 1 and one line on stderr.
  const cases: [string, string[], RegExp][] = [
    ['Redis down', [...base, '--data-dir', path.join(dir, 'a'), '--redis-url', 'redis://127.0.0.1:1'],
      /^xpush: broker \(redis\): cannot reach Redis at redis:\/\/127\.0\.0\.1:1 at start: .*ECONNREFUSED.* — check the setting broker\.url \(--redis-url, XPUSH_REDIS_URL\)\n$/],
    ['malformed PostgreSQL URL', [...base, '--data-dir', path.join(dir, 'b'), '--pg-url', 'base'],
      /^xpush: store \(postgres\): "base" is not a PostgreSQL URL \(expected postgres:\/\/user:password@host:5432\/database\) — check the setting store\.url \(--pg-url, XPUSH_PG_URL\)\n$/],
    ['SQLite cannot be opened', [...base, '--data-dir', path.join(dir, 'file', 'sub')],
      /^xpush: store \(sqlite\): cannot open .*\/file\/sub\/xpush\.db: ENOTDIR: .* — check the setting dataDir \(--data-dir, XPUSH_DATA_DIR\)\n$/],
  ];
  const results = await Promise.all(cases.map(([, args]) => runXpush(args, {}, 80_000)));
  cases.forEach(([what, , expected], i) => {
    assert.equal(results[i]!.code, 1, `${what}: exit code; stderr ${results[i]!.stderr}`);
    assert.match(results[i]!.stderr, expected, what);
  });
  // The same command tree in-process (a process start costs seconds on a loaded machine).
  const pg = await cli([...base, '--data-dir', path.join(dir, 'c'), '--pg-url', 'postgres://me:hunter2@127.0.0.1:1/x']);
  assert.equal(pg.code, 1);
  assert.match(pg.stderr, /^xpush: store \(postgres\): cannot connect to postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/x and migrate: connect ECONNREFUSED 127\.0\.0\.1:1 — check the setting store\.url \(--pg-url, XPUSH_PG_URL\)\n$/);
  assert.doesNotMatch(pg.stderr, /hunter2/, 'no password in the message');
  const token = await cli([...base, '--data-dir', path.join(dir, 'file', 'sub'), '--store', 'sqlite', '--log-level', 'silent'], { XPUSH_SQLITE_PATH: path.join(dir, 'ok.db') });
  assert.equal(token.code, 1);
  assert.match(token.stderr, /^xpush: admin token: cannot create or read .*\/file\/sub\/admin-token: ENOTDIR: .* — check the setting dataDir \(--data-dir, XPUSH_DATA_DIR\)\n$/);
});

test('createServer rejects with an InfraError naming the component and the setting', async (t) => {
  const dir = tempDir(t);
  const err = await createServer({ dataDir: dir, logLevel: 'silent', store: { kind: 'postgres', url: 'base' } }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof InfraError, String(err));
  assert.equal(err.component, 'store (postgres)');
  assert.equal(err.setting, 'store.url');
  const redis = await createServer({ dataDir: dir, logLevel: 'silent', broker: { kind: 'redis', url: 'redis://127.0.0.1:1' } }).then(() => undefined, (e: unknown) => e);
  assert.ok(redis instanceof InfraError && redis.component === 'broker (redis)' && redis.setting === 'broker.url', String(redis));
  assert.ok(redis.cause instanceof Error, 'the cause is kept');
});

test('debug logs: connect, refusal and disconnect with their codes; the first start logs the admin token\'s path, never the token', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const args = ['--host', '127.0.0.1', '--port', '0', '--data-dir', dir, '--log-level', 'debug'];
  const p = await stopped(t, await spawnXpush(args));
  const adminTokenFile = path.join(dir, 'admin-token');
  const adminToken = fs.readFileSync(adminTokenFile, 'utf8').trim();
  const first = jsonLines(p.stdout()).find((l) => l.msg.startsWith('admin token generated'));
  assert.equal(first?.adminTokenFile, adminTokenFile);
  assert.equal(first?.level, 30, 'info');

  const auth = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const app = await (await fetch(p.url + '/v1/admin/apps', { method: 'POST', headers: auth, body: JSON.stringify({ name: 'logs' }) })).json() as { id: string; secret: string };
  const minted = await (await fetch(`${p.url}/v1/apps/${app.id}/tokens`, { method: 'POST', headers: { 'x-api-key': app.secret, 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice', device: 'd1' }) })).json() as { token: string };

  const ok = new RawClient(p.wsUrl);
  await ok.open();
  const client = (await ok.call('connect', { token: minted.token })).connect.client as string;
  const bad = new RawClient(p.wsUrl);
  await bad.open();
  bad.sendRaw(JSON.stringify({ id: 1, connect: { token: 'forged' } }));
  assert.equal((await bad.waitClosed()).code, 3500);
  ok.ws.close(1000);
  const wrongPath = new RawClient(p.wsUrl.replace('/connection/websocket', '/elsewhere'));
  await assert.rejects(wrongPath.open(), /404/);

  // The server logs on its stdout pipe, which races the sockets the client reads: wait for both lines.
  const lines = await waitFor('disconnect and refused upgrade logged', () => {
    const all = jsonLines(p.stdout());
    return all.some((l) => l.msg === 'client disconnected' && l.client === client) && all.some((l) => l.msg === 'websocket upgrade refused') ? all : undefined;
  });
  const connected = lines.find((l) => l.msg === 'client connected');
  assert.deepEqual({ level: connected.level, client: connected.client, app: connected.app, user: connected.user, device: connected.device, transport: connected.transport },
    { level: 20, client, app: app.id, user: 'alice', device: 'd1', transport: 'websocket' });
  const refused = lines.find((l) => l.msg === 'connect refused');
  assert.equal(refused.level, 20);
  assert.equal(refused.code, 3500);
  assert.match(refused.reason, /invalid token/);
  const byCode = lines.filter((l) => l.msg === 'client disconnected').map((l) => [l.code, l.connected]);
  assert.deepEqual(byCode.sort(), [[1000, true], [3500, false]]);
  assert.ok(!p.stdout().includes(adminToken), 'the admin token itself is never logged');
  const upgrade = lines.find((l) => l.msg === 'websocket upgrade refused');
  assert.deepEqual([upgrade?.level, upgrade?.status, upgrade?.path], [20, 404, '/elsewhere']);

  p.proc.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  // Later starts find the token: nothing to announce.
  const again = await stopped(t, await spawnXpush(args));
  assert.ok(!again.stdout().includes('admin token generated'));
  again.proc.kill('SIGTERM');
  await again.exited;
});

test('on a terminal the logs are human-readable lines, not JSON', { timeout: 60_000 }, async (t) => {
  // `script` (util-linux) runs the CLI on a pseudo-terminal.
  if (spawnSync('script', ['--version']).status !== 0) return t.skip('script(1) is not installed');
  const dir = tempDir(t);
  const cmd = `${process.execPath} --import tsx src/cli/main.ts start --host 127.0.0.1 --port 0 --data-dir ${dir}`;
  const p = spawn('script', ['-qfc', cmd, '/dev/null'], { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const exited = new Promise((r) => p.once('exit', r));
  t.after(async () => {
    try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ }
    await exited;
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('started', () => out.includes('xpush started'), 30_000);
  const line = out.split('\n').find((l) => l.includes('xpush started'))!;
  assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] .*INFO.*: .*xpush started/);
  assert.ok(!out.includes('"msg"'), 'no JSON on a terminal');
});
