import type { TSchema } from 'typebox';

/** The JSON Schema keywords the config schema uses, read by the walkers below. */
export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  default?: unknown;
  description?: string;
  expected?: string;
  secret?: true | 'url';
}

export const asSchema = (s: TSchema): Schema => s as unknown as Schema;
export const isObjectSchema = (s: Schema): boolean => s.type === 'object' && !!s.properties;
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{kind: 'a', …} | {kind: 'b', …}` (store, broker): the variants by kind. */
export function variantsOf(s: Schema): Map<string, Schema> | undefined {
  if (!s.anyOf?.every((v) => isObjectSchema(v) && v.properties!.kind?.const !== undefined)) return undefined;
  return new Map(s.anyOf.map((v) => [String(v.properties!.kind.const), v]));
}

/** `{…} | false` (loginThrottle): the object schema of a group that `false` turns off. */
export function switchOf(s: Schema): Schema | undefined {
  if (s.anyOf?.length !== 2) return undefined;
  const obj = s.anyOf.find(isObjectSchema);
  return obj && s.anyOf.some((v) => v.const === false) ? obj : undefined;
}

/** The variant a value of a `kind` union means: its kind, else the one variant holding every key given. */
export function pickVariant(variants: Map<string, Schema>, value: Record<string, unknown>): string | undefined {
  if (typeof value.kind === 'string') return variants.has(value.kind) ? value.kind : undefined;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
  const fits = [...variants].filter(([, v]) => keys.every((k) => k in v.properties!)).map(([k]) => k);
  return fits.length === 1 || (fits.length > 1 && keys.length > 0) ? fits[0] : undefined;
}

/** The default of a setting or group: its own `default`, else its fields' defaults. */
export function defaultsOf(s: Schema): unknown {
  if (s.default !== undefined) return structuredClone(s.default);
  const obj = isObjectSchema(s) ? s : switchOf(s);
  if (!obj) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(obj.properties!)) {
    const d = defaultsOf(p);
    if (d !== undefined) out[k] = d;
  }
  return out;
}

/** What a setting accepts, in words: `an integer 0..65535`, `all, session or channel`. */
export function expected(s: Schema): string {
  if (s.expected) return s.expected;
  if (s.const !== undefined) return JSON.stringify(s.const);
  const options = s.enum ?? (s.anyOf?.every((v) => v.const !== undefined) ? s.anyOf.map((v) => v.const) : undefined);
  if (options) return options.length === 1 ? String(options[0]) : `${options.slice(0, -1).join(', ')} or ${String(options.at(-1))}`;
  if (variantsOf(s)) return `an object with kind ${[...variantsOf(s)!.keys()].join(' or ')}`;
  if (switchOf(s)) return 'false or an object of its settings';
  if (s.anyOf) return s.anyOf.map(expected).join(' or ');
  switch (s.type) {
    case 'integer':
    case 'number': {
      const what = s.type === 'integer' ? 'an integer' : 'a number';
      if (s.minimum !== undefined && s.maximum !== undefined) return `${what} ${s.minimum}..${s.maximum}`;
      if (s.minimum === 1 && s.type === 'integer') return 'a positive integer';
      return s.minimum !== undefined ? `${what} >= ${s.minimum}` : what;
    }
    case 'boolean': return 'true or false';
    case 'string': return s.minLength ? 'a non-empty string' : 'a string';
    case 'array': return s.items?.type === 'string' ? 'a list of strings' : 'a list';
    case 'object': return 'an object';
    default: return 'a valid value';
  }
}

/** Closest candidate to a misspelt name, if close enough to be a likely typo. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
