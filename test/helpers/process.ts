import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  wsUrl: string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Everything the process wrote to stdout so far (JSON log lines when it is not a terminal). */
  stdout(): string;
}

/** `xpush <args>` run to completion: its exit code and output. */
export function runXpush(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** How to run the CLI: by default the source from src/ through tsx; `command` runs another one (an installed package's). */
export interface SpawnOptions {
  /** Program and leading arguments, before `start` (e.g. `['npx', '@xpush/server']`). */
  command?: string[];
  cwd?: string;
  /** Own process group, so a wrapper (npx) and the server under it can be signalled together. */
  detached?: boolean;
}

/**
 * `xpush start <args>` as a real child process (the CLI from src/, run through tsx); resolves once
 * it logged "xpush started" (JSON logs on stdout), with the URLs it announced.
 */
export async function spawnXpush(args: string[], env: NodeJS.ProcessEnv = {}, opts: SpawnOptions = {}): Promise<ServerProcess> {
  const [file, ...lead] = opts.command ?? [process.execPath, '--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')];
  const proc = spawn(file!, [...lead, 'start', ...args], {
    cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: opts.detached,
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let err = '';
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const started = await new Promise<{ url: string; wsUrl: string }>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (;;) {
        const i = buf.indexOf('\n');
        if (i < 0) break;
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const j = JSON.parse(line);
          if (j.msg === 'xpush started') resolve({ url: j.url, wsUrl: j.wsUrl });
        } catch { /* not JSON */ }
      }
    });
    void exited.then((code) => reject(new Error(`xpush exited (${code}) before starting: ${err.slice(-2000)}`)));
  });
  return { proc, ...started, exited, stderr: () => err, stdout: () => out };
}
