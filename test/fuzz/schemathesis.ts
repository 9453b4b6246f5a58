// Installs schemathesis (pinned in requirements.txt) into a venv under the git-ignored `.cache/`, with
// pip's download cache beside it, so only the first run downloads (~30 s) and later runs work
// offline. Reinstalled only when requirements.txt or the Python version changes (a stamp file).
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE = path.join(ROOT, '.cache');
const VENV = path.join(CACHE, 'fuzz-venv');
const REQUIREMENTS = path.join(import.meta.dirname, 'requirements.txt');
export const SCHEMATHESIS = path.join(VENV, 'bin', 'schemathesis');

/** A Python this schemathesis runs on (3.11 or newer), or undefined. */
export function findPython(): string | undefined {
  for (const c of ['python3.11', 'python3.12', 'python3.13', 'python3']) {
    const r = spawnSync(c, ['-c', 'import sys, venv; print(sys.version_info >= (3, 11))'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === 'True') return c;
  }
  return undefined;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 10 * 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${(stdout + stderr).slice(-4000)}`));
      else resolve();
    });
  });
}

let installing: Promise<string> | undefined;

/** The schemathesis executable, installed first if needed; rejects saying why it cannot be. */
export function installSchemathesis(): Promise<string> {
  installing ??= (async () => {
    const python = findPython();
    if (!python) throw new Error('no Python 3.11 or newer (python3.11 / python3) on PATH');
    const version = spawnSync(python, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const digest = createHash('sha256').update(version).update(fs.readFileSync(REQUIREMENTS)).digest('hex');
    const stamp = path.join(CACHE, 'stamps', 'fuzz-venv');
    if (fs.existsSync(SCHEMATHESIS) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest) return SCHEMATHESIS;
    fs.rmSync(VENV, { recursive: true, force: true });
    await run(python, ['-m', 'venv', VENV]);
    await run(path.join(VENV, 'bin', 'python'), ['-m', 'pip', 'install', '-q', '--no-input', '--disable-pip-version-check', '-r', REQUIREMENTS], { PIP_CACHE_DIR: path.join(CACHE, 'pip') });
    fs.mkdirSync(path.dirname(stamp), { recursive: true });
    fs.writeFileSync(stamp, digest);
    return SCHEMATHESIS;
  })();
  installing.catch(() => { installing = undefined; });
  return installing;
}
