/**
 * Failures of what XPUSH runs on (store, broker, node registry, data directory), worded so an operator
 * can act: which part of XPUSH failed, what it tried, the cause, and which setting points at it.
 */

/** Where an infrastructure setting comes from besides the config file: its flag and environment variable. */
const SOURCES: Record<string, string> = {
  'store.url': '--pg-url, XPUSH_PG_URL',
  'store.schema': '--pg-schema, XPUSH_PG_SCHEMA',
  'store.path': 'XPUSH_SQLITE_PATH',
  dataDir: '--data-dir, XPUSH_DATA_DIR',
  'broker.url': '--redis-url, XPUSH_REDIS_URL',
};

export class InfraError extends Error {
  constructor(
    /** The part of XPUSH that failed, e.g. `store (postgres)`. */
    readonly component: string,
    /** The config key to check, e.g. `store.url`. */
    readonly setting: string,
    what: string,
    cause?: unknown,
  ) {
    const why = cause === undefined ? '' : `: ${messageOf(cause)}`;
    const from = SOURCES[setting] ? ` (${SOURCES[setting]})` : '';
    super(`${component}: ${what}${why} — check the setting ${setting}${from}`, { cause });
    this.name = 'InfraError';
  }
}

/** Log fields naming a backend and its setting, for runtime failures that are logged rather than thrown. */
export const STORE_LOG = (kind: 'sqlite' | 'postgres'): { component: string; setting: string } =>
  ({ component: `store (${kind})`, setting: kind === 'postgres' ? 'store.url' : 'dataDir' });
export const BROKER_LOG = (kind: 'memory' | 'redis'): { component: string; setting: string } => ({ component: `broker (${kind})`, setting: 'broker.url' });

/** A URL fit for logs and error messages: its password replaced. Not a URL at all: shown as given. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return err.errors.map(messageOf).join('; ');
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
