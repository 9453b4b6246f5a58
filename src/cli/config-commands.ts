import type { Command } from 'commander';
import { defaultConfig, type Config } from '../config.ts';
import { ConfigSchema } from '../config/schema.ts';
import { loadConfig, resolveLoaded } from '../config/sources.ts';
import { asSchema, isObjectSchema, pickVariant, switchOf, variantsOf, type Schema } from '../config/walk.ts';
import { safeUrl } from '../infra-error.ts';
import { configOption, type CliIo } from './options.ts';

/** `xpush config check | defaults`: the configuration a `start` would run with, without starting. */
export function configCommands(program: Command, io: CliIo): void {
  const config = program.command('config').description('check the configuration, print the defaults (docs/configuration.md)');
  configOption(config.command('check').description('validate the config file and XPUSH_* variables; print the effective config (secrets masked), exit 1 on errors'))
    .action((opts: { config?: string }) => {
      const loaded = loadConfig({ config: opts.config }, process.env);
      const effective = resolveLoaded(loaded);
      io.out(JSON.stringify(complete(effective), null, 2) + '\n');
      const from = [...new Set(loaded.origins.values())].filter((o) => !o.includes('(implied by'));
      io.err(`config ok${from.length ? `; set by ${from.join(', ')}` : ' (all defaults)'}\n`);
    });
  config.command('defaults').description('print a complete config file with every default (settings without one are null)')
    .action(() => io.out(JSON.stringify(complete(defaultConfig), null, 2) + '\n'));
}

/**
 * Every setting written out, in schema order: unset optional ones as `null` (which a config file
 * accepts as "not set"), secrets masked. Hooks are not settings and are left out.
 */
export function complete(c: Config): Record<string, unknown> {
  return fill(asSchema(ConfigSchema), c) as Record<string, unknown>;
}

function fill(s: Schema, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (s.secret === true) return '***';
  if (s.secret === 'url' && typeof v === 'string') return safeUrl(v);
  const variants = variantsOf(s);
  const obj = isObjectSchema(s) ? s : variants ? variants.get(pickVariant(variants, v as Record<string, unknown>) ?? '') : v === false ? undefined : switchOf(s);
  if (!obj) return v;
  return Object.fromEntries(Object.entries(obj.properties!).map(([k, p]) => [k, fill(p, (v as Record<string, unknown>)[k])]));
}
