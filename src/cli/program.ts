import { Command, CommanderError } from 'commander';
import { createServer } from '../server.ts';
import { configFromSources, type StartOptions } from './config-sources.ts';
import { settingOptions } from './setting-options.ts';
import { configCommands } from './config-commands.ts';
import { brokerOptions, configOption, offlineConfig, processIo, storeOptions, withStore, type CliIo } from './options.ts';
import { appCommands } from './app-commands.ts';
import { registerUserCommands } from './user-commands.ts';
import { pushCommands } from './push.ts';
import { remoteCommands } from './remote-commands.ts';
import { InfraError, safeUrl } from '../infra-error.ts';
import { VERSION } from '../version.ts';
import type { CommonOptions } from './config-sources.ts';

/**
 * The whole command tree, writing through `io`. Commander never exits the process itself (exitOverride):
 * runCli decides, so tests can run commands in-process.
 */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('xpush').description('XPUSH real-time push and messaging platform').version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  // Every setting is a flag (generated from the schema); precedence: flag > XPUSH_* variable > file > default.
  settingOptions(configOption(program.command('start').description('run the server (every setting: docs/configuration.md)')))
    .action(async (opts: StartOptions) => {
      const server = await createServer(configFromSources(opts));
      await server.start();
      const stop = (signal: string) => {
        server.log.info({ signal }, 'shutting down');
        server.close().then(() => process.exit(0), (err: unknown) => {
          server.log.error({ err }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });

  appCommands(program, io);
  registerUserCommands(program, (t) => io.out(t));
  pushCommands(program, (cmd) => storeOptions(configOption(cmd)), (opts, fn) => withStore(opts, (store) => fn({ store })));
  remoteCommands(program, io);
  configCommands(program, io);

  brokerOptions(configOption(program.command('nodes').description('list live channel servers (cluster registry in Redis)'))).action(async (opts: CommonOptions) => {
    const cfg = offlineConfig(opts, true);
    if (cfg.broker.kind !== 'redis') {
      io.out('single-process mode (memory broker): no node registry; use --redis-url to read a cluster\n');
      return;
    }
    const { url, prefix = 'xpush:' } = cfg.broker;
    const { NodeRegistry } = await import('../cluster/registry.ts');
    const reg = new NodeRegistry(url, prefix);
    try {
      const nodes = await reg.list().catch((err: unknown) => {
        throw new InfraError('node registry (redis)', 'broker.url', `cannot read the node list at ${safeUrl(url)}`, err);
      });
      for (const n of nodes) io.out(`${n.id}\t${n.role}\t${n.url}\tconnections=${n.connections}\n`);
      if (!nodes.length) io.out('no live nodes\n');
    } finally {
      await reg.stop();
    }
  });

  program.command('version').description('print the version').action(() => {
    io.out(`xpush ${VERSION} (node ${process.version})\n`);
  });
  return program;
}

/**
 * Runs one command line; resolves with the exit code (0 also for `start`, whose server keeps running).
 * Failures print `xpush: <message>` on stderr and give 1.
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const capture: CliIo = { ...io, exitCode: (c) => { code = c; io.exitCode(c); } };
  try {
    await buildProgram(capture).parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.err(`xpush: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
