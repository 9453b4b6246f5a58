import fs from 'node:fs';
import { Value } from 'typebox/value';
import { ConfigSchema, type Config, type ConfigInput } from './schema.ts';
import { checkValue, show, type Issue } from './check.ts';
import { ConfigError, resolveConfig } from './resolve.ts';
import { FIELD_BY_PATH, FIELDS, parseText, type Field } from './fields.ts';
import { asSchema, expected, isPlainObject, suggest, switchOf, variantsOf, type Schema } from './walk.ts';
import { merge, unflatten, type Assignment, type Entry } from './merge.ts';

/**
 * Config from its sources, strongest first: flags, `XPUSH_*` variables, the JSON file (--config or
 * XPUSH_CONFIG), the defaults. Each source is checked on its own, so an error names the flag, the
 * variable or the file it came from; then they merge setting by setting.
 */

/** XPUSH_* variables that are not settings: the config file itself, and the CLI's remote commands. */
export const OTHER_ENV = ['XPUSH_CONFIG', 'XPUSH_URL', 'XPUSH_APP_SECRET'];
/** Test switches of this repository's own suites (XPUSH_PACK_TEST, XPUSH_CONTAINER_TEST…) are not settings either. */
const isTestSwitch = (name: string) => name.endsWith('_TEST');

/** Where each setting in effect came from: `config file ./x.json`, `XPUSH_PORT`, `--port`. */
export type Origins = Map<string, string>;

export interface Loaded {
  input: ConfigInput;
  origins: Origins;
  file?: string;
}

/** Command-line values by option attribute, as commander gives them (`pgUrl`, `limitsMaxMessageBytes`, …). */
export type FlagValues = Record<string, unknown>;

export function loadConfig(options: object, env: NodeJS.ProcessEnv = process.env): Loaded {
  const flags = options as FlagValues;
  const file = (flags.config as string | undefined) ?? (env.XPUSH_CONFIG || undefined);
  const problems: string[] = [];
  const layers = [file ? fromFile(file, problems) : [], fromEnv(env, problems), fromFlags(flags, problems)];
  const state = new Map<string, Entry>();
  layers.forEach((layer, i) => merge(state, layer, i, problems));
  if (problems.length) throw new ConfigError(problems.length === 1 ? problems[0] : `${problems.length} config problems:\n  ${problems.join('\n  ')}`);
  const origins: Origins = new Map([...state].map(([p, a]) => [p, a.origin]));
  return { input: unflatten(state, origins), origins, file };
}

/** Resolves loaded sources; a refusal that involves several settings says where each came from. */
export function resolveLoaded(loaded: Loaded, override: ConfigInput = {}): Config {
  try {
    return resolveConfig({ ...loaded.input, ...override });
  } catch (err) {
    if (!(err instanceof ConfigError) || !err.paths.length) throw err;
    const from = [...new Set(err.paths)].map((p) => `${p} from ${originOf(loaded.origins, p)}`);
    // The sources are named, so the programmatic `config.` prefix goes.
    throw new ConfigError(`${err.message.replace(/\bconfig\./g, '')} (${from.join('; ')})`, err.paths);
  }
}

function originOf(origins: Origins, path: string): string {
  return origins.get(path) ?? [...origins].find(([p]) => p.startsWith(path + '.'))?.[1] ?? 'the default';
}

function fromFile(file: string, problems: string[]): Assignment[] {
  const label = `config file ${file}`;
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    problems.push(`${label}: ${e.code ? `cannot read it (${e.code})` : `not valid JSON (${e.message})`}`);
    return [];
  }
  if (!isPlainObject(data)) {
    problems.push(`${label}: expected a JSON object of settings, got ${show(data)}`);
    return [];
  }
  const issues = checkValue(asSchema(ConfigSchema), data, { nullIsUnset: true });
  for (const i of issues) problems.push(`${label}: ${fileLine(i)}`);
  if (issues.length) return [];
  const out: Assignment[] = [];
  flatten(asSchema(ConfigSchema), data, '', label, out);
  return out;
}

function fileLine(i: Issue): string {
  if (i.unknown) return `"${i.path}" is not a setting${i.suggestion ? ` (did you mean "${i.suggestion}"?)` : ''}${i.note ? `: ${i.note}` : ''}`;
  return `${i.path}: expected ${i.expected}, got ${i.secret ? '(hidden)' : show(i.got)}`;
}

/** A checked file's settings as field assignments. */
function flatten(s: Schema, v: unknown, path: string, origin: string, out: Assignment[]): void {
  if (v === undefined || v === null) return;
  const field = FIELD_BY_PATH.get(path);
  const sw = switchOf(s);
  if (sw) {
    out.push({ field: field!, value: v !== false, origin });
    if (v !== false) flatten(sw, v, path, origin, out);
  } else if (field) out.push({ field, value: v, origin });
  else if (variantsOf(s) || s.properties) {
    const props = variantsOf(s) ? Object.fromEntries([...variantsOf(s)!.values()].flatMap((x) => Object.entries(x.properties!))) : s.properties!;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(props[k], x, path ? `${path}.${k}` : k, origin, out);
  }
}

const ENV_NAMES = new Map(FIELDS.flatMap((f) => [f.env, ...f.envAliases].map((n) => [n, f] as const)));

function fromEnv(env: NodeJS.ProcessEnv, problems: string[]): Assignment[] {
  for (const name of Object.keys(env)) {
    if (!name.startsWith('XPUSH_') || ENV_NAMES.has(name) || OTHER_ENV.includes(name) || isTestSwitch(name)) continue;
    const near = suggest(name, [...ENV_NAMES.keys(), ...OTHER_ENV]);
    problems.push(`${name} is not a setting${near ? ` (did you mean ${near}?)` : ''}`);
  }
  return FIELDS.flatMap((f) => read(f, [f.env, ...f.envAliases].filter((n) => env[n]?.trim()).map((n) => [n, env[n]!] as const), problems));
}

/** Flag attribute names (commander's camelCase) → field and the flag as typed. */
export const FLAG_ATTRS = new Map(FIELDS.flatMap((f) => [f.flag, ...f.flagAliases].map((n) => [camel(n), { field: f, flag: `--${n}` }] as const)));

function camel(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function fromFlags(flags: FlagValues, problems: string[]): Assignment[] {
  const given = new Map<Field, [string, string][]>();
  for (const [attr, v] of Object.entries(flags)) {
    const hit = FLAG_ATTRS.get(attr);
    if (!hit || v === undefined) continue;
    given.set(hit.field, [...(given.get(hit.field) ?? []), [hit.flag, v === true ? 'true' : String(v)]]);
  }
  return [...given].flatMap(([f, vals]) => read(f, vals, problems));
}

/** One field from text sources (variables or flags): parsed and checked, naming the source. */
function read(f: Field, given: readonly (readonly [string, string])[], problems: string[]): Assignment[] {
  if (!given.length) return [];
  if (given.length > 1) {
    problems.push(`${given.map(([n]) => n).join(' and ')} set the same setting (${f.path}): keep one`);
    return [];
  }
  const [name, raw] = given[0];
  const parsed = parseText(f, raw);
  const shown = f.secret ? '(hidden)' : JSON.stringify(raw);
  if ('error' in parsed) {
    problems.push(`${name}: ${parsed.error}, got ${shown}`);
    return [];
  }
  if (f.role !== 'json' && !Value.Check(f.schema as never, parsed.value)) {
    problems.push(`${name}: expected ${expected(f.schema)}, got ${shown}`);
    return [];
  }
  const issues = f.role === 'json' ? checkValue(f.schema, parsed.value) : [];
  for (const i of issues) {
    problems.push(i.unknown
      ? `${name}: ${i.path} is not a setting${i.suggestion ? ` (did you mean ${i.suggestion}?)` : ''}`
      : `${name}: ${i.path}: expected ${i.expected}, got ${show(i.got)}`);
  }
  if (issues.length) return [];
  return [{ field: f, value: parsed.value, origin: name }];
}
