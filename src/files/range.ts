import type { ByteRange } from './blob-store.ts';

/**
 * The `Range` header of a download (RFC 9110 §14): one range of bytes, `bytes=a-b`, `bytes=a-` or
 * `bytes=-n`. Anything else (several ranges, other units, bad syntax) is ignored and the whole file is
 * sent with 200, which the RFC allows; `unsatisfiable` (a start at or past the end) gets 416.
 */
export type RangeAnswer = { kind: 'all' } | { kind: 'part'; range: ByteRange } | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return { kind: 'all' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'all' };
  if (m[1] === '') {
    // Suffix: the last n bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  if (end < start) return { kind: 'all' };
  return { kind: 'part', range: { start, end } };
}
