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
