import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

/** Loaded only for a terminal: it costs ~0.1–0.3 s of start-up that JSON logging (servers, the CLI in scripts) should not pay. */
const loadPretty = (): typeof PinoPretty => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

export interface LoggerOptions {
  /** Human-readable lines instead of JSON. Default: when stdout is a terminal. */
  pretty?: boolean;
}

const REDACT = ['password', '*.password', 'token', '*.token', 'refreshToken', '*.refreshToken', 'secret', '*.secret', 'req.headers.authorization', 'req.headers["x-api-key"]'];

/**
 * The one logger: injected everywhere, never console.*. Passwords and tokens are redacted by path.
 * JSON lines (for log collectors) unless stdout is a terminal, where pino-pretty formats them in this
 * thread, synchronously, so nothing is lost when the process exits right after logging.
 */
export function createLogger(level: string, opts: LoggerOptions = {}): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' } };
  const human = opts.pretty ?? process.stdout.isTTY === true;
  if (!human) return pino(options);
  return pino(options, loadPretty()({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
export type { Logger };
