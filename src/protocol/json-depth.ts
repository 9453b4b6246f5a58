/** Deepest JSON nesting accepted in any frame or body. Real payloads stay far below; deeper ones are attacks on the serializer. */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests arrays/objects deeper than `max` (iterative: no recursion to overflow). */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return false;
}
