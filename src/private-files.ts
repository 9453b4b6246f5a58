import fs from 'node:fs';
import path from 'node:path';

/**
 * Files that hold secrets (the SQLite database: app secrets and password hashes; the admin token)
 * are readable by the server's own user only. The modes are set explicitly, not left to the umask:
 * a umask can only remove bits, and a permissive one (000) would otherwise make them world-writable.
 */

/**
 * Creates `dir` and any missing parents as 0700. A directory that already exists is the operator's
 * (it may be `.`, or shared on purpose) and is left as it is; the files inside are still private.
 */
export function makePrivateDir(dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // Every directory from the first one created down to `dir` is new: set its mode exactly.
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    fs.chmodSync(d, 0o700);
    if (d === path.resolve(first) || d === path.dirname(d)) break;
  }
}

/**
 * Makes `file` owner-only (0600): created empty if missing, tightened if an older version left it
 * group- or world-readable. A file we may not chmod (another owner) is reported, not fatal.
 */
export function makePrivateFile(file: string): void {
  const fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDONLY, 0o600);
  try {
    if ((fs.fstatSync(fd).mode & 0o777) !== 0o600) fs.fchmodSync(fd, 0o600);
  } catch (err) {
    process.emitWarning(`xpush: could not make ${file} private (0600): ${(err as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Tightens `file` to 0600 if it exists (SQLite's -wal/-shm left by an older version). */
export function tightenIfPresent(file: string): void {
  if (fs.existsSync(file)) makePrivateFile(file);
}
