import type { ConfigInput } from './schema.ts';
import type { Field } from './fields.ts';

/** One setting from one source. */
export interface Assignment { field: Field; value: unknown; origin: string }

export interface Entry extends Assignment { layer: number }

/**
 * Lays one source over the stronger-so-far state, setting by setting. Two rules keep groups whole:
 * a source that picks another kind of store or broker (by `kind`, or by a field only that kind has,
 * like XPUSH_PG_URL) drops what weaker sources said about the old one; `loginThrottle: false` drops the
 * group's fields, and any of its fields turns it back on.
 */
export function merge(state: Map<string, Entry>, layer: Assignment[], id: number, problems: string[]): void {
  const first = (a: Assignment) => (a.field.role === 'kind' || a.field.role === 'switch' ? 0 : 1);
  for (const a of [...layer].sort((x, y) => first(x) - first(y))) {
    const f = a.field;
    if (f.group && (f.role === 'kind' || f.variants)) {
      const kinds = f.role === 'kind' ? [String(a.value)] : f.variants!;
      const current = kindOf(state, f.group);
      if (current && !kinds.includes(current.kind)) {
        if (current.layer === id) {
          problems.push(`${current.origin} and ${a.origin} do not go together: they are settings of different ${f.group} kinds (${current.kind}, ${kinds.join('/')})`);
          continue;
        }
        drop(state, f.group);
      }
    }
    if (f.role === 'switch' && a.value === false) drop(state, f.path);
    if (f.group && f.role !== 'kind' && !f.variants && state.get(f.group)?.value === false) state.delete(f.group);
    state.set(f.path, { ...a, layer: id });
  }
}

function drop(state: Map<string, Entry>, group: string): void {
  for (const p of [...state.keys()]) if (p === group || p.startsWith(group + '.')) state.delete(p);
}

/** The kind a group has so far: set, or implied by a field only one kind has. */
function kindOf(state: Map<string, Entry>, group: string): { kind: string; origin: string; layer: number } | undefined {
  const set = state.get(`${group}.kind`);
  if (set) return { kind: String(set.value), origin: set.origin, layer: set.layer };
  for (const [p, e] of state) {
    if (p.startsWith(group + '.') && e.field.variants?.length === 1) return { kind: e.field.variants[0], origin: e.origin, layer: e.layer };
  }
  return undefined;
}

/** The merged settings as a config object; a group's kind implied by its fields is written out (and its origin noted). */
export function unflatten(state: Map<string, Assignment>, origins: Map<string, string>): ConfigInput {
  const out: Record<string, unknown> = {};
  for (const [path, a] of state) {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    const last = keys.at(-1)!;
    if (a.field.role === 'switch') {
      if (a.value === false) node[last] = false;
      else node[last] ??= {};
    } else node[last] = a.value;
  }
  for (const [path, a] of state) {
    const group = a.field.group;
    if (!group || !a.field.variants || state.has(`${group}.kind`)) continue;
    (out[group] as Record<string, unknown>).kind = a.field.variants[0];
    origins.set(`${group}.kind`, `${a.origin} (implied by ${path})`);
  }
  return out as ConfigInput;
}
