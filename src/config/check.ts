import { Value } from 'typebox/value';
import { expected, isObjectSchema, isPlainObject, pickVariant, suggest, switchOf, variantsOf, type Schema } from './walk.ts';

/** One thing wrong with a config source, before it is worded for that source. */
export type Issue =
  | { path: string; unknown: true; suggestion?: string; note?: string }
  | { path: string; unknown?: false; expected: string; got: unknown; secret?: boolean };

export interface CheckOptions {
  /** Files may write `null` for "not set" (`xpush config defaults` does, for settings without a default). */
  nullIsUnset?: boolean;
  /** Top-level keys allowed besides the schema's (programmatic: `hooks`). */
  extraKeys?: string[];
}

/** Every unknown key and bad value in `value`, checked against `schema` (all settings optional). */
export function checkValue(schema: Schema, value: unknown, opts: CheckOptions = {}, path = ''): Issue[] {
  const issues: Issue[] = [];
  walk(schema, value, path, issues, opts, true);
  return issues;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function walk(s: Schema, v: unknown, path: string, issues: Issue[], opts: CheckOptions, top = false): void {
  if (v === undefined || (v === null && opts.nullIsUnset)) return;
  const bad = () => issues.push({ path, expected: expected(s), got: v, secret: !!s.secret });
  const variants = variantsOf(s);
  const group = switchOf(s);
  if (isObjectSchema(s)) {
    if (!isPlainObject(v)) return void bad();
    for (const [k, x] of Object.entries(v)) {
      if (k in s.properties!) walk(s.properties![k], x, join(path, k), issues, opts);
      else if (!(top && opts.extraKeys?.includes(k))) issues.push({ path: join(path, k), unknown: true, suggestion: suggestPath(path, k, Object.keys(s.properties!)) });
    }
  } else if (variants) {
    if (!isPlainObject(v)) return void bad();
    if (v.kind !== undefined && v.kind !== null && !variants.has(String(v.kind))) {
      return void issues.push({ path: join(path, 'kind'), expected: [...variants.keys()].join(' or '), got: v.kind });
    }
    const kind = pickVariant(variants, v);
    for (const [k, x] of Object.entries(v)) {
      const owners = [...variants].filter(([, o]) => k in o.properties!).map(([n]) => n);
      if (!owners.length) {
        const all = new Set([...variants.values()].flatMap((o) => Object.keys(o.properties!)));
        issues.push({ path: join(path, k), unknown: true, suggestion: suggestPath(path, k, all) });
      } else if (kind && !owners.includes(kind)) {
        issues.push({ path: join(path, k), unknown: true, note: `it is a setting of the ${owners.join('/')} ${path} only (${join(path, 'kind')} is ${kind})` });
      } else if (!kind && x !== undefined && x !== null) {
        return void issues.push({ path, expected: `settings of one ${path} kind (${[...variants].map(([n, o]) => `${n}: ${Object.keys(o.properties!).filter((p) => p !== 'kind').join(', ') || 'none'}`).join('; ')})`, got: v });
      } else walk(variants.get(kind ?? owners[0])!.properties![k], x, join(path, k), issues, opts);
    }
  } else if (group) {
    if (v !== false) walk(group, v, path, issues, opts);
  } else if (s.type === 'array' && s.items && isObjectSchema(s.items)) {
    if (!Array.isArray(v)) return void bad();
    v.forEach((item, i) => walk(s.items!, item, `${path}[${i}]`, issues, opts));
  } else if (!Value.Check(s as never, v)) bad();
}

function suggestPath(path: string, key: string, siblings: Iterable<string>): string | undefined {
  const s = suggest(key, siblings);
  return s && join(path, s);
}

/** A value for a message: strings quoted, numbers as written, long ones cut. */
export function show(v: unknown): string {
  const text = typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
  return text.length > 80 ? text.slice(0, 77) + '…' : text;
}
