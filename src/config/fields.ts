import { SECTIONS } from './schema.ts';
import { asSchema, defaultsOf, expected, isObjectSchema, switchOf, variantsOf, type Schema } from './walk.ts';

/**
 * Every setting as one line of the environment and the command line: its path in the config file,
 * its `XPUSH_*` variable and its `start` flag, all generated from the schema.
 * - `value`: a scalar (`--port 8080`); `list`: strings, comma-separated or a JSON array;
 * - `json`: a list of objects, written as JSON (`channelNamespaces`);
 * - `switch`: `true`/`false` for a group `false` turns off (`loginThrottle`);
 * - `kind`: which variant of a group (`store.kind`: sqlite or postgres).
 */
export interface Field {
  path: string;
  role: 'value' | 'list' | 'json' | 'switch' | 'kind';
  schema: Schema;
  env: string;
  flag: string;
  /** Older names that keep working (XPUSH_PG_URL, --pg-url). */
  envAliases: string[];
  flagAliases: string[];
  short?: string;
  description: string;
  default: unknown;
  section: string;
  /** The group (store, broker, loginThrottle) whose shape this field takes part in. */
  group?: string;
  /** Group variants this field belongs to (`store.url`: postgres). */
  variants?: string[];
  secret?: true | 'url';
}

/** The names the CLI had before the schema; they stay. */
const ALIASES: Record<string, { env?: string[]; flags?: string[]; short?: string }> = {
  port: { short: 'p' },
  'store.kind': { env: ['XPUSH_STORE'], flags: ['store'] },
  'store.url': { env: ['XPUSH_PG_URL'], flags: ['pg-url'] },
  'store.schema': { env: ['XPUSH_PG_SCHEMA'], flags: ['pg-schema'] },
  'store.path': { env: ['XPUSH_SQLITE_PATH'] },
  'broker.kind': { env: ['XPUSH_BROKER'], flags: ['broker'] },
  'broker.url': { env: ['XPUSH_REDIS_URL'], flags: ['redis-url'] },
  'broker.prefix': { env: ['XPUSH_REDIS_PREFIX'], flags: ['redis-prefix'] },
};

const words = (path: string) => path.split('.').flatMap((k) => k.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(' '));
export const envName = (path: string) => 'XPUSH_' + words(path).join('_').toUpperCase();
export const flagName = (path: string) => words(path).join('-');

function field(path: string, role: Field['role'], schema: Schema, section: string, extra: Partial<Field> = {}): Field {
  const alias = ALIASES[path] ?? {};
  return {
    path, role, schema, section, env: envName(path), flag: flagName(path), envAliases: alias.env ?? [], flagAliases: alias.flags ?? [],
    short: alias.short, description: schema.description ?? '', default: defaultsOf(schema), secret: schema.secret, ...extra,
  };
}

function collect(s: Schema, path: string, section: string, out: Field[], group?: string): void {
  const variants = variantsOf(s);
  const sw = switchOf(s);
  if (variants) {
    const kinds = [...variants.keys()];
    const first = variants.get(kinds[0])!.properties!.kind;
    out.push(field(`${path}.kind`, 'kind', { enum: kinds, description: first.description ?? s.description }, section, { group: path, default: (s.default as { kind?: string } | undefined)?.kind }));
    const seen = new Set<string>();
    for (const v of variants.values()) {
      for (const [k, p] of Object.entries(v.properties!)) {
        if (k === 'kind' || seen.has(k)) continue;
        seen.add(k);
        const owners = kinds.filter((n) => k in variants.get(n)!.properties!);
        out.push(field(`${path}.${k}`, 'value', p, section, { group: path, variants: owners }));
      }
    }
  } else if (sw) {
    out.push(field(path, 'switch', { type: 'boolean', description: s.description }, section, { default: true }));
    for (const [k, p] of Object.entries(sw.properties!)) collect(p, `${path}.${k}`, section, out, path);
  } else if (isObjectSchema(s)) {
    for (const [k, p] of Object.entries(s.properties!)) collect(p, `${path}.${k}`, section, out, group);
  } else {
    const role = s.type === 'array' ? (s.items && isObjectSchema(s.items) ? 'json' : 'list') : 'value';
    out.push(field(path, role, s, section, group ? { group } : {}));
  }
}

export const FIELDS: Field[] = SECTIONS.flatMap(({ title, settings }) => {
  const out: Field[] = [];
  for (const [k, s] of Object.entries(settings)) collect(asSchema(s), k, title, out);
  return out;
});

export const FIELD_BY_PATH = new Map(FIELDS.map((f) => [f.path, f]));

/** Group descriptions for the docs (store, broker, webhookDelivery, push…). */
export const GROUP_DESCRIPTIONS = new Map(SECTIONS.flatMap(({ settings }) => Object.entries(settings)
  .map(([k, s]) => [k, asSchema(s)] as const)
  .filter(([, s]) => isObjectSchema(s) || variantsOf(s))
  .map(([k, s]) => [k, s.description ?? ''])));

/** How a field reads from text (a variable or a flag): the value, or what was expected instead. */
export function parseText(f: Field, raw: string): { value: unknown } | { error: string } {
  const s = f.schema;
  const fail = () => ({ error: f.role === 'json' ? `expected JSON: ${expected(s)}` : `expected ${expected(s)}` });
  const text = raw.trim();
  if (f.role === 'json' || (f.role === 'list' && text.startsWith('['))) {
    try {
      return { value: JSON.parse(text) };
    } catch {
      return fail();
    }
  }
  if (f.role === 'list') return { value: text.split(',').map((x) => x.trim()).filter(Boolean) };
  const types = s.anyOf ? s.anyOf.map((v) => v.type) : [s.type];
  if (types.includes('boolean') && (text === 'true' || text === 'false')) return { value: text === 'true' };
  if (types.includes('integer') || types.includes('number')) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) return fail();
    return { value: Number(text) };
  }
  if (types.includes('string') || s.enum) return { value: raw };
  return fail();
}
