import pg from 'pg';
import { Errors } from '../../errors.ts';

/**
 * Runs `fn` inside BEGIN/COMMIT on one pooled connection; rolls back and rethrows on any error.
 * The connection is destroyed (not returned to the pool) if ROLLBACK itself fails, so a broken
 * connection never serves another request.
 */
export async function tx<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
    throw mapError(err);
  } finally {
    client.release(broken);
  }
}

/** pg unique-violation (23505) becomes `Errors.conflict`; anything else passes through unchanged. */
export function mapError(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code === '23505' ? Errors.conflict : err;
}

/** Rejects with `Errors.conflict` instead of the raw pg error on a uniqueness violation. */
export async function conflictAware<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw mapError(err);
  }
}

/** JSON values go in as text we serialise ourselves: pg would turn JS arrays into SQL arrays. */
export function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** Keeps input order and drops duplicates: the order callers gave is the order they get back. */
export function uniq(ids: string[]): string[] {
  return [...new Set(ids)];
}

/** Filters `ids` (deduplicated, input order) down to those in `found`. */
export function inInputOrder(ids: string[], found: Iterable<string>): string[] {
  const set = new Set(found);
  return uniq(ids).filter((id) => set.has(id));
}

/** A LIKE pattern matching `prefix` literally (its \\, % and _ escaped). */
export const likePrefix = (prefix: string): string => prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`) + '%';

/** Page cursors are the last key of the page, base64url so callers treat them as opaque. */
export const encodeCursor = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');
export const decodeCursor = (cursor: string): string => Buffer.from(cursor, 'base64url').toString('utf8');
