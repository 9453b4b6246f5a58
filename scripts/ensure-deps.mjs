// `npm test` / `npm start` on a fresh clone: install the locked dependencies first if they are missing,
// so the README's two commands are the whole set-up.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

if (!existsSync(new URL('../node_modules/.package-lock.json', import.meta.url))) {
  process.stderr.write('xpush: installing dependencies (npm ci) — better-sqlite3 may compile for a few minutes\n');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
}
