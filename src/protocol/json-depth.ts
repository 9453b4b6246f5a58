/** Deepest JSON nesting accepted in any frame or body. Real payloads stay far below; deeper ones are attacks on the serializer. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `value` nests arrays/objects deeper than `max`. Runs on every command, so it allocates
 * nothing (no work stack, no key arrays); its recursion stops at `max` + 1 levels, however deep the
 * input goes.
 */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  return deeperThan(value, max, 1);
}

function deeperThan(v: unknown, max: number, depth: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (depth > max) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (deeperThan(v[i], max, depth + 1)) return true;
  } else {
    // Parsed JSON (and the Protobuf decoder's output) is plain objects: for…in walks their own keys.
    for (const k in v) if (deeperThan((v as Record<string, unknown>)[k], max, depth + 1)) return true;
  }
  return false;
}
