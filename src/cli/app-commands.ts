import { registerLimitsCommand } from './user-commands.ts';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createApp } from '../session/routes/admin.ts';
import { mintToken } from '../auth/tokens.ts';
import type { AppRecord, Store } from '../store/store.ts';
import type { Config } from '../config.ts';
import { CONTROL_TOPIC, encodeEvent } from '../protocol/events.ts';
import { InfraError, safeUrl } from '../infra-error.ts';
import { brokerOptions, CliError, configOption, storeOptions, withStore, type CliIo } from './options.ts';
import type { CommonOptions } from './config-sources.ts';

type Json = { json?: boolean };

/** `xpush app …` and `xpush token`: work on the store directly (no running server needed). */
export function appCommands(program: Command, io: CliIo): void {
  const out = io.out;
  const app = program.command('app').description('manage apps (tenants)');
  registerLimitsCommand(app, (t) => io.out(t));
  const withStoreOpts = (cmd: Command): Command => storeOptions(configOption(cmd));

  withStoreOpts(app.command('create <name>').description('create an app: prints its id, public key and secret'))
    .option('--json', 'print JSON')
    .action(async (name: string, opts: CommonOptions & Json) => {
      const a = await withStore(opts, (store) => createApp({ store }, name));
      out(opts.json ? JSON.stringify(a) + '\n' : describe(a));
    });

  withStoreOpts(app.command('list').description('list apps (id, name, public key)'))
    .option('--json', 'print JSON (secrets left out)')
    .action(async (opts: CommonOptions & Json) => {
      const apps = await withStore(opts, (store) => store.apps.list());
      if (opts.json) return out(JSON.stringify(apps.map(({ secret: _s, ...rest }) => rest)) + '\n');
      for (const a of apps) out(`${a.id}\t${a.name}\t${a.key}\n`);
    });

  withStoreOpts(app.command('show <app>').description('show one app: id, name, key, secret, settings'))
    .option('--json', 'print JSON')
    .action(async (id: string, opts: CommonOptions & Json) => {
      const a = await withStore(opts, (store) => mustGet(store, id));
      out(opts.json ? JSON.stringify(a) + '\n' : describe(a) + `created: ${new Date(a.createdAt).toISOString()}\nsettings: ${JSON.stringify(a.settings)}\n`);
    });

  withStoreOpts(app.command('rotate-secret <app>').description('replace the app secret: tokens signed with the old one stop working'))
    .option('--json', 'print JSON')
    .action(async (id: string, opts: CommonOptions & Json) => {
      const secret = newSecret();
      await withStore(opts, async (store) => {
        await mustGet(store, id);
        if (!(await store.apps.updateSecret(id, secret))) throw new CliError(`no app "${id}"`);
      });
      if (opts.json) return out(JSON.stringify({ id, secret }) + '\n');
      out(`secret: ${secret}\n`);
      io.err('Running servers take the new secret within 5 s (app cache); until your backend uses it, its API calls and tokens are refused.\n');
    });

  brokerOptions(withStoreOpts(app.command('delete <app>').description('delete an app with all its users, channels and messages')))
    .option('--yes', 'confirm: the deletion cannot be undone')
    .action(async (id: string, opts: CommonOptions & { yes?: boolean }) => {
      if (!opts.yes) throw new CliError(`app delete removes app "${id}" with all its users, channels and messages for good; add --yes to confirm`);
      const cfg = await withStore(opts, async (store, config) => {
        await mustGet(store, id);
        await store.apps.delete(id);
        return config;
      }, true);
      out(`deleted ${id}\n`);
      await tellNodes(cfg, id, io);
    });

  withStoreOpts(program.command('token <app> <user>').description('mint a connection token for a user of an app'))
    .option('--device <id>', 'device id')
    .option('--ttl <seconds>', 'lifetime in seconds', '3600')
    .action(async (appId: string, user: string, opts: CommonOptions & { device?: string; ttl: string }) => {
      const token = await withStore(opts, async (store) => {
        const a = await mustGet(store, appId);
        return (await mintToken(a.secret, { app: a.id, user, device: opts.device, ttlSec: Number(opts.ttl) })).token;
      });
      out(token + '\n');
    });
}

/**
 * Running nodes close the deleted app's connections when told on the broker's control topic (Redis).
 * With the in-process broker the CLI cannot reach the server: say what happens instead.
 */
async function tellNodes(cfg: Config, id: string, io: CliIo): Promise<void> {
  if (cfg.broker.kind !== 'redis') {
    io.err('No Redis broker configured: a server running on this store refuses the app\'s tokens within 5 s (app cache) but keeps its open connections until they reconnect. DELETE /v1/admin/apps/<id> on the server closes them at once.\n');
    return;
  }
  const { RedisBroker } = await import('../broker/broker-redis.ts');
  const broker = new RedisBroker(cfg.broker.url, cfg.broker.prefix ?? 'xpush:');
  try {
    await broker.start({ onEvent: () => undefined });
    await broker.publish(CONTROL_TOPIC, encodeEvent('d', 0, id));
    io.err('Running nodes were told: they close the app\'s connections now.\n');
  } catch (err) {
    throw new InfraError('broker (redis)', 'broker.url', `app deleted from the store, but the running nodes could not be told through ${safeUrl(cfg.broker.url)}`, err);
  } finally {
    await broker.close();
  }
}

async function mustGet(store: Store, id: string): Promise<AppRecord> {
  const a = await store.apps.get(id);
  if (!a) throw new CliError(`no app "${id}" (xpush app list shows the apps)`);
  return a;
}

function newSecret(): string {
  return 'sk_' + randomBytes(32).toString('base64url');
}

function describe(a: AppRecord): string {
  return `id:     ${a.id}\nname:   ${a.name}\nkey:    ${a.key}\nsecret: ${a.secret}\n`;
}
