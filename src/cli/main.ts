import { Command } from 'commander';
import { createServer } from '../server.ts';
import { resolveConfig } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import { configFrom, type CommonOptions, type StartOptions } from './config-sources.ts';
import { mintToken } from '../auth/tokens.ts';
import { createApp } from '../session/routes/admin.ts';
import type { Core } from '../domain/context.ts';
import { pushCommands } from './push.ts';

const program = new Command('xpush').description('XPUSH real-time push and messaging platform').version('0.1.0');

function common(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON config file (env XPUSH_CONFIG)')
    .option('--data-dir <dir>', 'data directory for SQLite and the admin token (env XPUSH_DATA_DIR)', undefined)
    .option('--store <kind>', 'sqlite | postgres (env XPUSH_STORE)')
    .option('--pg-url <url>', 'PostgreSQL URL (env XPUSH_PG_URL)')
    .option('--pg-schema <name>', 'PostgreSQL schema (env XPUSH_PG_SCHEMA)')
    .option('--broker <kind>', 'memory | redis (env XPUSH_BROKER)')
    .option('--redis-url <url>', 'Redis URL (env XPUSH_REDIS_URL)')
    .option('--redis-prefix <prefix>', 'Redis key prefix (env XPUSH_REDIS_PREFIX)');
}

common(program.command('start').description('run the server'))
  .option('--role <role>', 'all | session | channel (env XPUSH_ROLE)')
  .option('--host <host>', 'interface to listen on (env XPUSH_HOST)')
  .option('-p, --port <port>', 'port (env XPUSH_PORT)')
  .option('--public-url <url>', 'WebSocket URL clients use for this node (env XPUSH_PUBLIC_URL)')
  .option('--node-id <id>', 'stable node id (env XPUSH_NODE_ID)')
  .option('--admin-token <token>', 'admin credential (env XPUSH_ADMIN_TOKEN)')
  .option('--log-level <level>', 'pino level (env XPUSH_LOG_LEVEL)')
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

/** Store-only commands: no server, no broker. */
async function withStore<T>(opts: CommonOptions, fn: (core: Pick<Core, 'store'>) => Promise<T>): Promise<T> {
  const cfg = resolveConfig({ ...configFrom(opts), role: 'all', broker: { kind: 'memory' } });
  const store = await openStore(cfg.store, cfg.dataDir);
  try {
    return await fn({ store });
  } finally {
    await store.close();
  }
}

const app = program.command('app').description('manage apps (tenants)');
common(app.command('create <name>').description('create an app: prints its id, public key and secret'))
  .option('--json', 'print JSON')
  .action(async (name: string, opts: CommonOptions & { json?: boolean }) => {
    const a = await withStore(opts, (core) => createApp(core, name));
    process.stdout.write(opts.json ? JSON.stringify(a) + '\n' : `id:     ${a.id}\nname:   ${a.name}\nkey:    ${a.key}\nsecret: ${a.secret}\n`);
  });
common(app.command('list').description('list apps')).action(async (opts: CommonOptions) => {
  const apps = await withStore(opts, (core) => core.store.apps.list());
  for (const a of apps) process.stdout.write(`${a.id}\t${a.name}\t${a.key}\n`);
});

pushCommands(program, common, withStore);

common(program.command('token <app> <user>').description('mint a connection token for a user of an app'))
  .option('--device <id>', 'device id')
  .option('--ttl <seconds>', 'lifetime in seconds', '3600')
  .action(async (appId: string, user: string, opts: CommonOptions & { device?: string; ttl: string }) => {
    const token = await withStore(opts, async (core) => {
      const a = await core.store.apps.get(appId);
      if (!a) throw new Error(`no app "${appId}"`);
      return (await mintToken(a.secret, { app: a.id, user, device: opts.device, ttlSec: Number(opts.ttl) })).token;
    });
    process.stdout.write(token + '\n');
  });

common(program.command('nodes').description('list live channel servers (cluster registry in Redis)')).action(async (opts: CommonOptions) => {
  const cfg = resolveConfig({ ...configFrom(opts), role: 'all', store: { kind: 'sqlite' } });
  if (cfg.broker.kind !== 'redis') {
    process.stdout.write('single-process mode (memory broker): no node registry; use --redis-url to read a cluster\n');
    return;
  }
  const { NodeRegistry } = await import('../cluster/registry.ts');
  const reg = new NodeRegistry(cfg.broker.url, cfg.broker.prefix ?? 'xpush:');
  try {
    const nodes = await reg.list();
    for (const n of nodes) process.stdout.write(`${n.id}\t${n.role}\t${n.url}\tconnections=${n.connections}\n`);
    if (!nodes.length) process.stdout.write('no live nodes\n');
  } finally {
    await reg.stop();
  }
});

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`xpush: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
