// Builds the two npm packages from src/ (docs/deployment.md, "Packages"):
// - server (the repo root, @xpush/server): tsc → dist/ (JS + .d.ts), plus the non-TypeScript files
//   the server reads at run time (client.proto, Lua scripts), so `bin/xpush.js` runs with no
//   TypeScript tooling;
// - client (packages/client, @xpush/client): the XPush SDK compiled with tsc, keeping only the
//   files src/client/index.ts reaches (the SDK shares src/errors.ts and src/protocol/types.generated.ts
//   with the server), plus the browser bundles. Its only runtime dependency is `centrifuge`; the
//   build fails if the SDK starts importing anything else.
// Usage: node scripts/build.mjs [server|client]   (both by default)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const clientDir = path.join(root, 'packages/client');
const CLIENT_RUNTIME_DEPS = ['centrifuge'];

const which = process.argv[2] ?? 'all';
if (!['all', 'server', 'client'].includes(which)) {
  process.stderr.write(`usage: node scripts/build.mjs [server|client]\n`);
  process.exit(2);
}
function buildServer() {
  const out = path.join(root, 'dist');
  fs.rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  copyAssets(path.join(root, 'src'), out, (rel) => !rel.startsWith('client' + path.sep));
  rewriteDeclarations(out);
  // The admin console, prebuilt: an installed package has no esbuild to bundle it at run time.
  execFileSync(process.execPath, [path.join(root, 'scripts/build-console.mjs'), path.join(out, 'admin')], { stdio: 'inherit' });
  process.stdout.write(`build: server → ${path.relative(root, out)}/\n`);
}

function buildClient() {
  const rootPkg = readJson(path.join(root, 'package.json'));
  const pkg = readJson(path.join(clientDir, 'package.json'));
  // One version and one centrifuge range for both packages: they are released together.
  if (pkg.version !== rootPkg.version) throw new Error(`packages/client version ${pkg.version} != root version ${rootPkg.version}`);
  if (pkg.dependencies?.centrifuge !== rootPkg.dependencies.centrifuge) {
    throw new Error(`packages/client depends on centrifuge ${pkg.dependencies?.centrifuge}, the root on ${rootPkg.dependencies.centrifuge}`);
  }
  const out = path.join(clientDir, 'dist');
  fs.rmSync(out, { recursive: true, force: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-client-build-'));
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(clientDir, 'tsconfig.json'), '--outDir', tmp], { stdio: 'inherit', cwd: root });
    rewriteDeclarations(tmp);
    const { files, bare } = closure(tmp, ['client/index.js', 'client/index.d.ts']);
    const extra = [...bare].filter((b) => !CLIENT_RUNTIME_DEPS.includes(b));
    if (extra.length) throw new Error(`the SDK imports ${extra.join(', ')}: the client package may only depend on ${CLIENT_RUNTIME_DEPS.join(', ')}`);
    for (const rel of files) {
      fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
      fs.copyFileSync(path.join(tmp, rel), path.join(out, rel));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  execFileSync(process.execPath, [path.join(root, 'scripts/build-browser.mjs'), path.join(out, 'browser')], { stdio: 'inherit' });
  // npm only packs a LICENSE that sits in the package's own folder.
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(clientDir, 'LICENSE'));
  process.stdout.write(`build: client → ${path.relative(root, out)}/\n`);
}

/** Copies every non-TypeScript file under `from` (that `keep` accepts) to the same place under `to`. */
function copyAssets(from, to, keep) {
  for (const rel of walk(from)) {
    if (rel.endsWith('.ts') || !keep(rel)) continue;
    fs.mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
    fs.copyFileSync(path.join(from, rel), path.join(to, rel));
  }
}

// tsc rewrites `./x.ts` to `./x.js` in the JS it emits but not in declarations (TypeScript issue
// 61037). TypeScript itself reads either, but other tools that read .d.ts files do not.
const RELATIVE_TS = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g;
function rewriteDeclarations(dir) {
  for (const rel of walk(dir)) {
    if (!rel.endsWith('.d.ts')) continue;
    const file = path.join(dir, rel);
    const text = fs.readFileSync(file, 'utf8');
    const fixed = text.replace(RELATIVE_TS, '$1$2.js$3');
    if (fixed !== text) fs.writeFileSync(file, fixed);
  }
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;
/** The files reachable from `entries` through relative imports (JS and their declarations), and the packages they import. */
function closure(dir, entries) {
  const files = new Set();
  const bare = new Set();
  const queue = [...entries];
  while (queue.length) {
    const rel = queue.pop();
    if (files.has(rel)) continue;
    if (!fs.existsSync(path.join(dir, rel))) throw new Error(`client build: ${rel} is imported but was not emitted`);
    files.add(rel);
    for (const [, spec] of fs.readFileSync(path.join(dir, rel), 'utf8').matchAll(SPECIFIER)) {
      if (!spec.startsWith('.')) {
        bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        continue;
      }
      const target = path.normalize(path.join(path.dirname(rel), spec));
      queue.push(target);
      if (target.endsWith('.js')) queue.push(target.slice(0, -3) + '.d.ts');
    }
  }
  return { files: [...files].sort(), bare };
}

function walk(dir, prefix = '') {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(prefix, e.name);
    return e.isDirectory() ? walk(dir, rel) : [rel];
  });
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

if (which !== 'client') buildServer();
if (which !== 'server') buildClient();
