import { runCli } from '../../src/cli/program.ts';

/**
 * `xpush <args>` in this process, output captured: the same command tree and error handling as the
 * real CLI (src/cli/main.ts), without paying a process start per command. `env` is set for the call
 * and restored after. Tests that need the real process (exit codes, stderr) use runXpush (process.ts).
 */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await runCli(['node', 'xpush', ...args], {
      out: (t) => { stdout += t; },
      err: (t) => { stderr += t; },
      exitCode: () => undefined,
    });
    return { code, stdout, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
