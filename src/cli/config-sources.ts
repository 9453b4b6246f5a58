import type { Config, ConfigInput } from '../config.ts';
import { loadConfig, resolveLoaded, type FlagValues } from '../config/sources.ts';

/** CLI options shared by every command that opens the store or broker (the names from before the schema). */
export interface CommonOptions {
  config?: string;
  dataDir?: string;
  store?: string;
  pgUrl?: string;
  pgSchema?: string;
  broker?: string;
  redisUrl?: string;
  redisPrefix?: string;
}
const COMMON: (keyof CommonOptions)[] = ['config', 'dataDir', 'store', 'pgUrl', 'pgSchema', 'broker', 'redisUrl', 'redisPrefix'];

/** `start` takes every setting as a flag (src/config/fields.ts). */
export type StartOptions = CommonOptions & FlagValues;
type AnyOptions = CommonOptions | StartOptions;

/**
 * Config from three sources, strongest first: flags, then XPUSH_* environment variables, then a JSON
 * config file (--config or XPUSH_CONFIG), then the defaults (src/config/). Bad input throws a
 * ConfigError naming the flag, the variable or the file.
 */
export function configFrom(opts: AnyOptions, env: NodeJS.ProcessEnv = process.env): ConfigInput {
  return loadConfig(opts, env).input;
}

/** The resolved config of a command; `override` wins over every source. */
export function configFromSources(opts: AnyOptions, env: NodeJS.ProcessEnv = process.env, override: ConfigInput = {}): Config {
  return resolveLoaded(loadConfig(opts, env), override);
}

/** Commands other than `start` read only the common options; their own options (`--json`, `--ttl`) are not settings. */
export function commonOnly(opts: CommonOptions): CommonOptions {
  return Object.fromEntries(COMMON.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
}
