// Builds the SDK driver programs under test/sdk/{go,python,java} with the machine's toolchains, and
// says how to run them. Downloads and build outputs live in the git-ignored `.cache/` (Go module and
// build caches, a Python venv with pip's cache, a Maven repository), so only the first run is slow
// (~1 min) and later runs work offline. A build is redone only when its inputs change (stamp files).
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HERE = path.join(ROOT, 'test/sdk');
export const CACHE = path.join(ROOT, '.cache');

export type Sdk = 'go' | 'python' | 'java';

/** How to start a built driver. */
export interface Program {
  cmd: string;
  args: string[];
}

/** The first of `candidates` that runs (`cmd versionArg`), or undefined. */
function findTool(versionArg: string, ...candidates: string[]): string | undefined {
  return candidates.find((c) => spawnSync(c, [versionArg], { stdio: 'ignore' }).status === 0);
}

const PYTHON = () => findTool('--version', 'python3.11', 'python3');

/** The tools an SDK's build needs that are missing here (empty when all are present). */
export function missingToolchain(sdk: Sdk): string[] {
  const need: Record<Sdk, [string, string | undefined][]> = {
    go: [['go', findTool('version', 'go')]],
    python: [['python3.11 (or python3)', PYTHON()]],
    java: [['mvn', findTool('--version', 'mvn')], ['java', findTool('-version', 'java')]],
  };
  return need[sdk].filter(([, found]) => !found).map(([name]) => name);
}

/**
 * Locally a missing toolchain skips the test; under CI=true it fails it, so CI can never go green
 * without running the SDK suites.
 */
export function requireToolchain(t: TestContext, sdk: Sdk): boolean {
  const missing = missingToolchain(sdk);
  if (missing.length === 0) return true;
  const msg = `${sdk} SDK: ${missing.join(', ')} not installed`;
  if (process.env.CI) throw new Error(`${msg}: CI must run the SDK suites`);
  t.skip(msg);
  return false;
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 10 * 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${err.message}\n${(stdout + stderr).slice(-4000)}`));
      else resolve();
    });
  });
}

/** Rebuilds when the hash of `inputs` (files, plus extra text) differs from the last successful build. */
async function stamped(name: string, inputs: string[], extra: string, outputs: string[], build: () => Promise<void>): Promise<void> {
  const h = createHash('sha256').update(extra);
  for (const f of inputs) h.update(f).update(fs.readFileSync(f));
  const digest = h.digest('hex');
  const stampFile = path.join(CACHE, 'stamps', name);
  const fresh = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === digest && outputs.every((o) => fs.existsSync(o));
  if (fresh) return;
  await build();
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  fs.writeFileSync(stampFile, digest);
}

function files(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(ext)).sort().map((f) => path.join(dir, f));
}

async function buildGo(): Promise<Program> {
  const dir = path.join(HERE, 'go');
  const bin = path.join(CACHE, 'sdk-bin', 'go-sdk-check');
  const env = {
    GOMODCACHE: path.join(CACHE, 'go', 'mod'),
    GOCACHE: path.join(CACHE, 'go', 'build'),
    GOFLAGS: '-modcacherw -mod=readonly -buildvcs=false',
    GOTOOLCHAIN: 'local', // never download a Go toolchain: use the machine's
  };
  await stamped('go', [...files(dir, '.go'), path.join(dir, 'go.mod'), path.join(dir, 'go.sum')], '', [bin],
    () => run('go', ['build', '-o', bin, '.'], dir, env));
  return { cmd: bin, args: [] };
}

async function buildPython(): Promise<Program> {
  const dir = path.join(HERE, 'python');
  const venv = path.join(CACHE, 'venv');
  const py = path.join(venv, 'bin', 'python');
  const base = PYTHON()!;
  const version = spawnSync(base, ['--version'], { encoding: 'utf8' }).stdout.trim();
  await stamped('python', [path.join(dir, 'requirements.txt')], version, [py], async () => {
    fs.rmSync(venv, { recursive: true, force: true });
    await run(base, ['-m', 'venv', venv], dir);
    await run(py, ['-m', 'pip', 'install', '-q', '--no-input', '-r', 'requirements.txt'], dir, { PIP_CACHE_DIR: path.join(CACHE, 'pip') });
  });
  return { cmd: py, args: ['-u', path.join(dir, 'sdk_check.py')] };
}

async function buildJava(): Promise<Program> {
  const dir = path.join(HERE, 'java');
  const target = path.join(dir, 'target');
  await stamped('java', [path.join(dir, 'pom.xml'), ...files(path.join(dir, 'src'), '.java')], '', [path.join(target, 'classes'), path.join(target, 'dependency')],
    async () => {
      fs.rmSync(target, { recursive: true, force: true }); // no stale classes or jars
      await run('mvn', ['-q', '-B', `-Dmaven.repo.local=${path.join(CACHE, 'm2')}`, 'compile', 'dependency:copy-dependencies'], dir);
    });
  // java expands `dir/*` in a class path itself (no shell involved).
  return { cmd: 'java', args: ['-cp', `${path.join(target, 'classes')}${path.delimiter}${path.join(target, 'dependency', '*')}`, 'xpush.SdkCheck'] };
}

const builds = new Map<Sdk, Promise<Program>>();

/** Builds an SDK's driver once per test process (and only when its inputs changed since the last build). */
export function buildSdk(sdk: Sdk): Promise<Program> {
  let p = builds.get(sdk);
  if (!p) {
    p = { go: buildGo, python: buildPython, java: buildJava }[sdk]();
    builds.set(sdk, p);
    p.catch(() => builds.delete(sdk));
  }
  return p;
}
