import type Database from 'better-sqlite3';

/**
 * Prepared statements, compiled on first use and reused. Lazily, because sub-stores are built
 * before `migrate()` has created the tables. Literal SQL strings are interned, so the lookup is cheap.
 */
export class Statements {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(readonly db: Database.Database) {}

  get<P extends unknown[] = unknown[]>(sql: string): Database.Statement<P> {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s as Database.Statement<P>;
  }
}

/** JSON values are stored as text; `undefined` is stored as JSON null so it reads back as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

export function fromJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

/** Keeps input order and drops duplicates: callers get ids back in the order they gave them. */
export function uniq(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** Page cursors are the last key of the page, base64url so callers treat them as opaque. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

/** The smallest string greater than every string starting with `prefix` (code-point order). */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = Array.from(prefix);
  const last = cps.pop()!.codePointAt(0)!;
  // Past the last code point there is no successor; skipping surrogates keeps the bound valid UTF-8.
  if (last >= 0x10ffff) return undefined;
  const next = last + 1 >= 0xd800 && last + 1 <= 0xdfff ? 0xe000 : last + 1;
  return cps.join('') + String.fromCodePoint(next);
}
