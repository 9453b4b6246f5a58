/**
 * Reasons to end a connection, sent as the WebSocket close code + reason. The official SDKs
 * reconnect on 3000–3499 / 4000–4499 and stop on 3500–3999 / 4500–4999 (docs/protocol.md).
 */
export interface Disconnect {
  readonly code: number;
  /** At most 123 bytes (WebSocket close frame limit). */
  readonly reason: string;
}

const d = (code: number, reason: string): Disconnect => Object.freeze({ code, reason });

export const Disconnects = {
  connectionClosed: d(3000, 'connection closed'),
  shutdown: d(3001, 'shutdown'),
  internal: d(3004, 'internal server error'),
  connectionExpired: d(3005, 'connection expired'),
  subscriptionExpired: d(3006, 'subscription expired'),
  slow: d(3008, 'slow consumer'),
  writeError: d(3009, 'write error'),
  insufficientState: d(3010, 'insufficient state'),
  forceReconnect: d(3011, 'force reconnect'),
  noPong: d(3012, 'no pong'),
  tooManyRequests: d(3013, 'too many requests'),
  invalidToken: d(3500, 'invalid token'),
  badRequest: d(3501, 'bad request'),
  stale: d(3502, 'stale'),
  forceDisconnect: d(3503, 'force disconnect'),
  connectionLimit: d(3504, 'connection limit'),
  channelLimit: d(3505, 'channel limit'),
  inappropriateProtocol: d(3506, 'inappropriate protocol'),
  permissionDenied: d(3507, 'permission denied'),
  notAvailable: d(3508, 'not available'),
  tooManyErrors: d(3509, 'too many errors'),
  /** The device's session was revoked by logout: terminal, the SDK must not reconnect. */
  loggedOut: d(3503, 'logged out'),
} as const;

/** True when the official SDKs will reconnect after this code. */
export function isReconnectCode(code: number): boolean {
  return (code >= 3000 && code < 3500) || (code >= 4000 && code < 4500);
}
