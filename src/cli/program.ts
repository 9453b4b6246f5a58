import { Command } from 'commander';
import { createServer } from '../server.ts';
import { configFrom, type StartOptions } from './config-sources.ts';
import { brokerOptions, configOption, offlineConfig, storeOptions } from './options.ts';
import { appCommands } from './app-commands.ts';
import { remoteCommands } from './remote-commands.ts';
import { InfraError, safeUrl } from '../infra-error.ts';
import { VERSION } from '../version.ts';
import type { CommonOptions } from './config-sources.ts';

/** The whole command tree (tests read its options without starting a process per command). */
export function buildProgram(): Command {
  const program = new Command('xpush').description('XPUSH real-time push and messaging platform').version(VERSION);

  brokerOptions(storeOptions(configOption(program.command('start').description('run the server'))))
    .option('--role <role>', 'all | session | channel (env XPUSH_ROLE)')
    .option('--host <host>', 'interface to listen on (env XPUSH_HOST)')
    .option('-p, --port <port>', 'port (env XPUSH_PORT)')
    .option('--public-url <url>', 'WebSocket URL clients use for this node (env XPUSH_PUBLIC_URL)')
    .option('--node-id <id>', 'stable node id (env XPUSH_NODE_ID)')
    .option('--admin-token <token>', 'admin credential (env XPUSH_ADMIN_TOKEN)')
    .option('--log-level <level>', 'pino level: fatal, error, warn, info, debug, trace (env XPUSH_LOG_LEVEL)')
    .action(async (opts: StartOptions) => {
      const server = await createServer(configFrom(opts));
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

  appCommands(program);
  remoteCommands(program);

  brokerOptions(configOption(program.command('nodes').description('list live channel servers (cluster registry in Redis)'))).action(async (opts: CommonOptions) => {
    const cfg = offlineConfig(opts, true);
    if (cfg.broker.kind !== 'redis') {
      process.stdout.write('single-process mode (memory broker): no node registry; use --redis-url to read a cluster\n');
      return;
    }
    const { url, prefix = 'xpush:' } = cfg.broker;
    const { NodeRegistry } = await import('../cluster/registry.ts');
    const reg = new NodeRegistry(url, prefix);
    try {
      const nodes = await reg.list().catch((err: unknown) => {
        throw new InfraError('node registry (redis)', 'broker.url', `cannot read the node list at ${safeUrl(url)}`, err);
      });
      for (const n of nodes) process.stdout.write(`${n.id}\t${n.role}\t${n.url}\tconnections=${n.connections}\n`);
      if (!nodes.length) process.stdout.write('no live nodes\n');
    } finally {
      await reg.stop();
    }
  });

  program.command('version').description('print the version').action(() => {
    process.stdout.write(`xpush ${VERSION} (node ${process.version})\n`);
  });
  return program;
}
