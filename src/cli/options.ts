import type { Command } from 'commander';
import type { Config } from '../config.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { commonOnly, configFromSources, type CommonOptions } from './config-sources.ts';

/**
 * Option groups: each subcommand takes only the groups it uses, so `--help` lists only options that
 * do something for it.
 */
export function configOption(cmd: Command): Command {
  return cmd.option('--config <file>', 'JSON config file (env XPUSH_CONFIG)');
}

export function storeOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory for SQLite and the admin token (env XPUSH_DATA_DIR)')
    .option('--store <kind>', 'sqlite | postgres (env XPUSH_STORE)')
    .option('--pg-url <url>', 'PostgreSQL URL (env XPUSH_PG_URL)')
    .option('--pg-schema <name>', 'PostgreSQL schema (env XPUSH_PG_SCHEMA)');
}

export function brokerOptions(cmd: Command): Command {
  return cmd
    .option('--broker <kind>', 'memory | redis (env XPUSH_BROKER)')
    .option('--redis-url <url>', 'Redis URL (env XPUSH_REDIS_URL)')
    .option('--redis-prefix <prefix>', 'Redis key prefix (env XPUSH_REDIS_PREFIX)');
}

/** Options of commands that talk to a running server over HTTP. */
export function serverUrlOption(cmd: Command): Command {
  return cmd.option('--url <url>', 'the running server (env XPUSH_URL; default http://127.0.0.1:<XPUSH_PORT or 8080>)');
}

export function serverUrl(opts: { url?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return (opts.url ?? env.XPUSH_URL ?? `http://127.0.0.1:${env.XPUSH_PORT ?? 8080}`).replace(/\/+$/, '');
}

/** Config of a command that does not run a server: the store from flags/env/file, the broker only if asked. */
export function offlineConfig(opts: CommonOptions, withBroker = false): Config {
  return configFromSources(commonOnly(opts), process.env, { role: 'all', ...(withBroker ? {} : { broker: { kind: 'memory' as const } }) });
}

/** Store-only commands: no server, no broker. */
export async function withStore<T>(opts: CommonOptions, fn: (store: Store, config: Config) => Promise<T>, withBroker = false): Promise<T> {
  const cfg = offlineConfig(opts, withBroker);
  const store = await openStore(cfg.store, cfg.dataDir);
  try {
    return await fn(store, cfg);
  } finally {
    await store.close();
  }
}

/** A user-facing failure: printed as `xpush: <message>`, exit code 1. */
export class CliError extends Error {}

/** Where commands write and how they set the exit code: the process's, or a test's in-process capture. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The exit code once the command is done (a command that printed its answer but must report failure). */
  exitCode(code: number): void;
}

export const processIo: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  exitCode: (c) => void (process.exitCode = c),
};
