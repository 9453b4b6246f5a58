/**
 * Errors that answer one command (a socket reply or an HTTP response). Codes are the Centrifugal
 * protocol v2 reply codes (docs/protocol.md), so the official SDKs react correctly: 109 makes them
 * fetch a new token, `temporary` makes them retry.
 */
export class XPushError extends Error {
  readonly code: number;
  readonly temporary: boolean;
  /** HTTP status used when this error answers an HTTP request. */
  readonly status: number;
  constructor(code: number, message: string, opts: { temporary?: boolean; status?: number } = {}) {
    super(message);
    this.name = 'XPushError';
    this.code = code;
    this.temporary = opts.temporary ?? false;
    this.status = opts.status ?? 400;
  }
  /** When to try again, ms (throttling); HTTP answers carry it as `Retry-After` (seconds, rounded up). */
  retryAfterMs?: number;
  /** Same code and kind, more precise message: `Errors.badRequest.with('channel is required')`. */
  with(message: string): XPushError {
    return new XPushError(this.code, message, { temporary: this.temporary, status: this.status });
  }
  /** The same error with a retry delay: `Errors.tooManyRequests.with('...').retryAfter(30_000)`. */
  retryAfter(ms: number): XPushError {
    const e = new XPushError(this.code, this.message, { temporary: this.temporary, status: this.status });
    e.retryAfterMs = ms;
    return e;
  }
  toJSON(): { code: number; message: string; temporary?: boolean } {
    return this.temporary ? { code: this.code, message: this.message, temporary: true } : { code: this.code, message: this.message };
  }
}

export const Errors = {
  internal: new XPushError(100, 'internal server error', { temporary: true, status: 500 }),
  unauthorized: new XPushError(101, 'unauthorized', { status: 401 }),
  unknownChannel: new XPushError(102, 'unknown channel', { status: 404 }),
  permissionDenied: new XPushError(103, 'permission denied', { status: 403 }),
  methodNotFound: new XPushError(104, 'method not found', { status: 404 }),
  alreadySubscribed: new XPushError(105, 'already subscribed', { status: 409 }),
  limitExceeded: new XPushError(106, 'limit exceeded', { status: 413 }),
  badRequest: new XPushError(107, 'bad request', { status: 400 }),
  notAvailable: new XPushError(108, 'not available', { status: 501 }),
  tokenExpired: new XPushError(109, 'token expired', { status: 401 }),
  expired: new XPushError(110, 'expired', { status: 410 }),
  tooManyRequests: new XPushError(111, 'too many requests', { temporary: true, status: 429 }),
  unrecoverablePosition: new XPushError(112, 'unrecoverable position', { status: 409 }),
  // XPUSH codes above the protocol's range (the SDKs treat unknown codes as plain errors).
  notFound: new XPushError(404, 'not found', { status: 404 }),
  conflict: new XPushError(409, 'already exists', { status: 409 }),
  unavailable: new XPushError(503, 'service unavailable', { temporary: true, status: 503 }),
  /** The app's proxy endpoint failed (unreachable, non-200, or an answer that is not a valid proxy reply). */
  proxyFailed: new XPushError(502, 'proxy failed', { temporary: true, status: 502 }),
  /** The app's proxy endpoint did not answer within proxy.timeoutMs. */
  proxyTimeout: new XPushError(504, 'proxy timeout', { temporary: true, status: 504 }),
} as const;

/** Any thrown value as an XPushError; unknown failures become `internal` (their detail goes to the log only). */
export function toXPushError(err: unknown): XPushError {
  return err instanceof XPushError ? err : Errors.internal;
}
