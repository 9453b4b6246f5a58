// Runs every test file under test/ (Node 20's test runner does not expand globs itself).
// Extra arguments narrow the run: `npm test -- test/e2e` or `npm test -- test/unit/ring.test.ts`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

function find(p) {
  if (statSync(p).isFile()) return p.endsWith('.test.ts') ? [p] : [];
  return readdirSync(p).sort().flatMap((n) => (n === 'node_modules' ? [] : find(join(p, n))));
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap(find);
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000', ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
