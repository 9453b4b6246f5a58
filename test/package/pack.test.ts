// The published packages as a new user gets them: `npm pack` both (@xpush/server from the repo root,
// @xpush/client from packages/client), install the tarballs into an empty project with npm, run
// `npx @xpush/server start` there (SQLite in a temp dir, port 0), create an app over HTTP, and chat
// through the installed client package; type-check a consumer against the installed declarations.
//
// better-sqlite3 normally compiles from source here (~2 min: its prebuilt download is unreachable).
// The test hands npm the module this repo already compiled, as a local prebuild
// (npm_config_better_sqlite3_local_prebuilds, read by prebuild-install), with an `overrides` pin to
// the repo's version so the file name matches. Everything else comes from npm's cache or the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnXpush } from '../helpers/process.ts';
import { CLIENT_SCRIPT, CONSUMER_TS, CONSUMER_TSCONFIG } from './consumer-fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

interface Packed { filename: string; files: { path: string }[] }
async function pack(dir: string, dest: string): Promise<Packed> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest], { cwd: dir, timeout: 180_000, maxBuffer: 16 << 20 });
  // prepack (the build) prints to stdout before npm's JSON.
  const [entry] = JSON.parse(stdout.slice(stdout.indexOf('[')));
  return { filename: path.join(dest, entry.filename), files: entry.files };
}

/** A prebuild-install tarball of the repo's compiled better-sqlite3, in the name prebuild-install looks for. */
async function localPrebuild(dir: string): Promise<{ version: string; dir: string } | undefined> {
  const mod = path.join(ROOT, 'node_modules/better-sqlite3');
  if (!fs.existsSync(path.join(mod, 'build/Release/better_sqlite3.node'))) return undefined;
  const version = readJson(path.join(mod, 'package.json')).version as string;
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['-czf', path.join(dir, name), '-C', mod, 'build/Release/better_sqlite3.node']);
  return { version, dir };
}

const skip = process.env.CI !== 'true' && process.env.XPUSH_PACK_TEST !== '1'
  ? 'packs, installs and runs both packages (~1 min): runs under CI=true or XPUSH_PACK_TEST=1' : false;

test('npm pack → install into an empty project → npx @xpush/server start → chat with @xpush/client', { skip, timeout: 300_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-pack-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const tarballs = path.join(tmp, 'tarballs');
  fs.mkdirSync(tarballs);

  const server = await pack(ROOT, tarballs);
  const client = await pack(path.join(ROOT, 'packages/client'), tarballs);
  const serverFiles = server.files.map((f) => f.path);
  const clientFiles = client.files.map((f) => f.path);
  for (const dir of ['test/', 'bench/', 'src/', 'examples/', 'scripts/', 'packages/', 'node_modules/']) {
    assert.equal(serverFiles.find((f) => f.startsWith(dir)), undefined, `the server package ships ${dir}`);
  }
  for (const f of ['bin/xpush.js', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/protocol/protobuf/client.proto', 'dist/limits/limiter.lua', 'LICENSE']) {
    assert.ok(serverFiles.includes(f), `the server package lacks ${f}`);
  }
  assert.equal(serverFiles.find((f) => f.startsWith('dist/client/')), undefined, 'the server package ships the SDK');
  // The SDK package: the SDK, the shared modules it imports (errors, the generated wire types), the
  // browser bundles; no server module.
  const allowed = /^(dist\/client\/|dist\/browser\/|dist\/errors\.(js|d\.ts)$|dist\/protocol\/types\.generated\.(js|d\.ts)$|package\.json$|LICENSE$|README\.md$)/;
  assert.deepEqual(clientFiles.filter((f) => !allowed.test(f)), []);
  for (const f of ['dist/client/index.js', 'dist/client/index.d.ts', 'dist/browser/xpush.js', 'dist/browser/xpush.min.js', 'LICENSE']) {
    assert.ok(clientFiles.includes(f), `the client package lacks ${f}`);
  }

  const project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  const prebuild = await localPrebuild(fs.mkdtempSync(path.join(tmp, 'prebuilds-')));
  const repoVersion = (name: string) => readJson(path.join(ROOT, 'node_modules', name, 'package.json')).version as string;
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({
    name: 'consumer', version: '1.0.0', private: true, type: 'module',
    dependencies: { '@xpush/server': `file:${server.filename}`, '@xpush/client': `file:${client.filename}`, ws: `^${repoVersion('ws')}` },
    devDependencies: { '@types/node': repoVersion('@types/node') },
    ...(prebuild ? { overrides: { 'better-sqlite3': prebuild.version } } : {}),
  }, null, 2));
  const started = Date.now();
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: project, timeout: 240_000, maxBuffer: 16 << 20,
    env: { ...process.env, ...(prebuild ? { npm_config_better_sqlite3_local_prebuilds: prebuild.dir } : {}) },
  });
  t.diagnostic(`npm install: ${Date.now() - started} ms (better-sqlite3 ${prebuild ? 'from the repo\'s build' : 'compiled'})`);
  const modules = path.join(project, 'node_modules');
  for (const devOnly of ['tsx', 'typescript', 'esbuild']) {
    assert.equal(fs.existsSync(path.join(modules, devOnly)), false, `${devOnly} was installed at run time`);
  }
  assert.deepEqual(Object.keys(readJson(path.join(modules, '@xpush/client/package.json')).dependencies), ['centrifuge']);

  // The CLI from the tarball, through npx, as the README says.
  const dataDir = path.join(tmp, 'data');
  const env: NodeJS.ProcessEnv = { XPUSH_DATA_DIR: dataDir };
  for (const k of Object.keys(process.env)) if (k.startsWith('XPUSH_') && k !== 'XPUSH_DATA_DIR') env[k] = undefined;
  const srv = await spawnXpush(['--host', '127.0.0.1', '--port', '0'], env, { command: ['npx', '@xpush/server'], cwd: project, detached: true });
  t.after(async () => {
    try { process.kill(-srv.proc.pid!, 'SIGTERM'); } catch { /* already gone */ }
    await srv.exited;
  });
  const adminToken = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const res = await fetch(`${srv.url}/v1/admin/apps`, {
    method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'packed' }),
  });
  assert.equal(res.status, 201);
  const app = (await res.json()) as { id: string; key: string };
  // The admin console is served from the prebuilt files (no esbuild in an installed package).
  const consoleJs = await fetch(`${srv.url}/admin/console.js`);
  assert.equal(consoleJs.status, 200);
  assert.ok((await consoleJs.text()).length > 1000);
  // Ready (store and broker answer) from the tarball too.
  assert.equal((await fetch(`${srv.url}/ready`)).status, 200);

  fs.writeFileSync(path.join(project, 'chat.mjs'), CLIENT_SCRIPT);
  const { stdout } = await run(process.execPath, ['chat.mjs', srv.url, app.id, app.key], { cwd: project, timeout: 60_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.message, { channel: 'lunch', event: 'chat', data: { text: 'noodles at noon?' }, user: 'alice' });
  assert.equal(typeof out.offset, 'number');
  assert.equal(out.refusedIsXPushError, true);
  assert.equal(out.refusedCode, 101);
  assert.deepEqual(out.bundles, [true, true]);
  assert.equal(out.serverExports, true);

  // The declarations, as a TypeScript user of both packages sees them.
  fs.writeFileSync(path.join(project, 'consumer.ts'), CONSUMER_TS);
  fs.writeFileSync(path.join(project, 'tsconfig.json'), CONSUMER_TSCONFIG);
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeout: 120_000 }).catch((err: { stdout?: string }) => {
    assert.fail(`the consumer does not type-check against the installed packages:\n${err.stdout}`);
  });
});
