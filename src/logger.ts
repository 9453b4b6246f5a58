import { pino, type Logger } from 'pino';

/** The one logger: injected everywhere, never console.*. Passwords and tokens are redacted by path. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: ['password', '*.password', 'token', '*.token', 'refreshToken', '*.refreshToken', 'secret', '*.secret', 'req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
  });
}
export type { Logger };
