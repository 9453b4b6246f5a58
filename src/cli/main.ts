import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';

buildProgram().parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`xpush: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
