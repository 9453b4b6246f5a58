import { Type } from 'typebox';
import { flag, optionalString, positive, strings } from './kit.ts';

export const LoginThrottleSchema = Type.Object({
  userIpFailures: positive(5, 'Failed logins one IP may make for one user per window before it is blocked.'),
  ipFailures: positive(50, 'Failed logins one IP may make for all users together per window (password spraying). Higher tolerates shared NATs.'),
  windowMs: positive(15 * 60_000, 'The counting window, ms.'),
  blockMs: positive(30_000, 'First block, ms; each further block of the same key doubles it.'),
  maxBlockMs: positive(5 * 60_000, 'Longest block, ms: nobody is locked out for longer than this at a time. At least blockMs.'),
}, { additionalProperties: false });

/** Credentials, tokens, login throttling, origins (docs/security.md). */
export const SecuritySettings = {
  adminToken: optionalString('Admin credential for /v1/admin and the console (Bearer). Unset: read from (or generated into) `<dataDir>/admin-token`.', { secret: true }),
  accessTokenTtlSec: positive(900, 'Lifetime of access (connection) tokens, seconds. Shorter = quicker revocation, more refreshes.'),
  refreshTokenTtlSec: positive(30 * 24 * 3600, 'Lifetime of refresh tokens (a device stays logged in this long unused), seconds.'),
  refreshReuseGraceMs: Type.Integer({
    minimum: 0, default: 2000,
    description: 'A refresh token already rotated away and presented again revokes its whole session (reuse detection), except within this long after its rotation, ms: then it is the benign race of two refreshes sent at once (tabs sharing storage), answered 409 without revoking. 0 = every reuse revokes.',
  }),
  tokenExpiryGraceMs: Type.Integer({
    minimum: 0, default: 25_000,
    description: 'A connection whose token expired is closed this long after `exp` unless it refreshes, ms (the SDKs refresh right at expiry, so a grace avoids racing them).',
  }),
  loginThrottle: Type.Union([LoginThrottleSchema, Type.Literal(false)], {
    description: 'Login throttling per (app, user, client IP) and per IP (docs/security.md "Login throttling"); `false` turns it off (tests, or a proxy that already throttles).',
  }),
  trustProxy: Type.Union([Type.Boolean(), Type.String({ minLength: 1 })], {
    default: false, expected: 'true, false or the proxies\' addresses/CIDRs (comma-separated)',
    description: 'Take the client IP from `X-Forwarded-For`: `true` trusts any hop, a string names the proxies\' addresses or CIDRs, comma-separated. Set it behind a load balancer, or every client shares the balancer\'s address and login throttling per IP hits them all.',
  }),
  corsOrigins: strings(['*'], 'Origins allowed to call the HTTP API from browsers (CORS); `*` allows any (auth is by header, never cookies).'),
  allowedOrigins: strings(['*'], 'Browser origins allowed to open client connections (WebSocket, HTTP streaming, SSE, emulation): exact origins, `https://*.example.com` patterns, or `*`. Requests without an Origin header (native apps, servers) always pass.'),
};

/** WebSocket and fallback transports, timing of a connection. */
export const ConnectionSettings = {
  pingIntervalMs: positive(25_000, 'Server ping interval, ms; clients answer within pongTimeoutMs. Lower detects dead peers sooner, costs frames.'),
  pongTimeoutMs: positive(8000, 'How long to wait for a pong before closing with 3012, ms. Shorter than pingIntervalMs.'),
  connectTimeoutMs: positive(10_000, 'A socket must send `connect` within this time (ms) or is closed with 3502.'),
  perMessageDeflate: flag(false, 'permessage-deflate on the WebSocket. Saves bandwidth, costs CPU per frame.'),
  httpStreaming: flag(true, 'Serve the HTTP-streaming, SSE and emulation endpoints (fallbacks for networks that block WebSocket).'),
  unidirectional: flag(true, 'Serve the unidirectional endpoints (uni_sse, uni_http_stream) for SDK-less consumers.'),
};
