/**
 * A reason to end a connection, sent as the WebSocket close code + reason (or a disconnect push on
 * HTTP streams). The official SDKs reconnect on 3000–3499 / 4000–4499 and stop on 3500–3999 /
 * 4500–4999 (docs/protocol.md). Thrown by a command to end its connection; `Errors.*` (errors.ts)
 * answer one command instead.
 */
// Declared before the predeclared values below, which trim their reasons at module load.
const utf8 = new TextEncoder();

export class Disconnect extends Error {
  readonly code: number;
  /** At most 123 bytes (the WebSocket close frame limit): `with` trims longer reasons. */
  readonly reason: string;
  constructor(code: number, reason: string) {
    const r = trimReason(reason);
    super(r);
    this.name = 'Disconnect';
    this.code = code;
    this.reason = r;
  }
  /** Same code, more precise reason: `Disconnects.invalidToken.with('invalid token: expired session')`. */
  with(reason: string): Disconnect {
    return new Disconnect(this.code, reason);
  }
  /** True when the official SDKs reconnect after this code. */
  get reconnect(): boolean {
    return isReconnectCode(this.code);
  }
  toJSON(): { code: number; reason: string; reconnect: boolean } {
    return { code: this.code, reason: this.reason, reconnect: this.reconnect };
  }
}

export const Disconnects = {
  connectionClosed: new Disconnect(3000, 'connection closed'),
  shutdown: new Disconnect(3001, 'shutdown'),
  internal: new Disconnect(3004, 'internal server error'),
  connectionExpired: new Disconnect(3005, 'connection expired'),
  subscriptionExpired: new Disconnect(3006, 'subscription expired'),
  slow: new Disconnect(3008, 'slow consumer'),
  writeError: new Disconnect(3009, 'write error'),
  insufficientState: new Disconnect(3010, 'insufficient state'),
  forceReconnect: new Disconnect(3011, 'force reconnect'),
  noPong: new Disconnect(3012, 'no pong'),
  tooManyRequests: new Disconnect(3013, 'too many requests'),
  invalidToken: new Disconnect(3500, 'invalid token'),
  badRequest: new Disconnect(3501, 'bad request'),
  stale: new Disconnect(3502, 'stale'),
  forceDisconnect: new Disconnect(3503, 'force disconnect'),
  connectionLimit: new Disconnect(3504, 'connection limit'),
  channelLimit: new Disconnect(3505, 'channel limit'),
  inappropriateProtocol: new Disconnect(3506, 'inappropriate protocol'),
  permissionDenied: new Disconnect(3507, 'permission denied'),
  notAvailable: new Disconnect(3508, 'not available'),
  tooManyErrors: new Disconnect(3509, 'too many errors'),
  /** The device's session was revoked by logout: terminal, the SDK must not reconnect. */
  loggedOut: new Disconnect(3503, 'logged out'),
  /** The app was deleted: terminal. */
  appDeleted: new Disconnect(3503, 'app deleted'),
  /** The user was disabled by the app's backend: terminal (connect is refused until enabled). */
  userDisabled: new Disconnect(3503, 'user disabled'),
  /** The user was deleted by the app's backend: terminal. */
  userDeleted: new Disconnect(3503, 'user deleted'),
} as const;

/** True when the official SDKs will reconnect after this code. */
export function isReconnectCode(code: number): boolean {
  return (code >= 3000 && code < 3500) || (code >= 4000 && code < 4500);
}

function trimReason(reason: string): string {
  if (utf8.encode(reason).length <= 123) return reason;
  let r = reason.slice(0, 123);
  while (utf8.encode(r).length > 123) r = r.slice(0, -1);
  return r;
}
