// Runs every test file under test/ (Node 20's test runner does not expand globs itself).
// Extra arguments narrow the run: `npm test -- test/e2e` or `npm test -- test/unit/ring.test.ts`.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

function find(p) {
  if (statSync(p).isFile()) return p.endsWith('.test.ts') ? [p] : [];
  return readdirSync(p).sort().flatMap((n) => (n === 'node_modules' ? [] : find(join(p, n))));
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap(find);
// The official-SDK suites need their Go/Python/Java driver programs: build them first, so a cold
// build (downloads, compiles) is not counted against the per-file timeout below.
if (files.some((f) => resolve(f).startsWith(resolve('test/sdk') + sep))) {
  spawnSync(process.execPath, ['--import', 'tsx', 'test/sdk/prepare.ts'], { stdio: 'inherit' });
}
// The API fuzzer (schemathesis into .cache/fuzz-venv, ~30 s when cold) likewise.
if (files.some((f) => resolve(f).startsWith(resolve('test/fuzz') + sep))) {
  spawnSync(process.execPath, ['--import', 'tsx', 'test/fuzz/prepare.ts'], { stdio: 'inherit' });
}
// The container test's image (podman build, minutes when cold) likewise, when that test is to run.
if ((process.env.CI === 'true' || process.env.XPUSH_CONTAINER_TEST === '1') && files.some((f) => resolve(f).startsWith(resolve('test/container') + sep))) {
  spawnSync(process.execPath, ['--import', 'tsx', 'test/container/prepare.ts'], { stdio: 'inherit' });
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
