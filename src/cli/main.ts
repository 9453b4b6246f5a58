import { runCli } from './program.ts';

const code = await runCli(process.argv);
// Exit at once on failure: a half-opened Redis or PostgreSQL client must not keep the process alive.
if (code !== 0) process.exit(code);
