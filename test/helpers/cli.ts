import { runCli } from '../../src/cli/program.ts';

/**
 * `xpush <args>` in this process, output captured: the same command tree and error handling as the
 * real CLI (src/cli/main.ts), without paying a process start per command. Tests that need the real
 * process (exit codes, stderr) use runXpush from process.ts.
 */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'xpush', ...args], {
    out: (t) => { stdout += t; },
    err: (t) => { stderr += t; },
    exitCode: () => undefined,
  });
  return { code, stdout, stderr };
}
