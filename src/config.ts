import path from 'node:path';
import type { HookTable } from './hooks.ts';
import type { ChannelKind, Retention } from './store/store.ts';

/** Channels whose name starts with `prefix` get these unless their creation names them (longest prefix wins). */
export interface ChannelNamespace {
  prefix: string;
  kind?: ChannelKind;
  /** cache channels: newest publications kept for late joiners. */
  cacheSize?: number;
  /** durable channels: retention enforced by the background trim. */
  retention?: Retention;
}
import type { PushConfig } from './push/config.ts';

export type Role = 'all' | 'session' | 'channel';

export type StoreConfig =
  | { kind: 'sqlite'; /** SQLite file; default `<dataDir>/xpush.db`. */ path?: string }
  | { kind: 'postgres'; /** e.g. postgres://user@127.0.0.1:5432/xpush */ url: string; /** schema for all tables (tests use their own). Default `public`. */ schema?: string };

export type BrokerConfig =
  | { kind: 'memory' }
  | { kind: 'redis'; url: string; /** Prefix of every Redis key and topic. Default `xpush:`. */ prefix?: string };

/** Login throttling (docs/security.md "Login throttling"). Failures are counted per (app, user, client IP) and per IP. */
export interface LoginThrottleConfig {
  /** Failed logins one IP may make for one user per window before it is blocked. Default 5. */
  userIpFailures: number;
  /** Failed logins one IP may make for all users together per window (password spraying). Higher tolerates shared NATs. Default 50. */
  ipFailures: number;
  /** The counting window, ms. Default 15 minutes. */
  windowMs: number;
  /** First block, ms; each further block of the same key doubles it. Default 30000. */
  blockMs: number;
  /** Longest block, ms: nobody is locked out for longer than this at a time. Default 300000 (5 minutes). */
  maxBlockMs: number;
}

/** How webhook batches are sent (docs/webhooks.md "Delivery and retries"); per-app settings say where and what. */
export interface WebhookDeliveryConfig {
  /** How long one POST may take before it counts as failed, ms. Default 5000. */
  timeoutMs: number;
  /** Delay before the first retry, ms; doubles with each further attempt (±20 % jitter). Default 1000. */
  retryBaseMs: number;
  /** Longest delay between two attempts, ms. Default 900000 (15 min). */
  retryMaxMs: number;
  /** Attempts per event before it is dropped (and the drop logged). Default 16 (about 1.5 h with the delays above). */
  maxAttempts: number;
  /** How often each node looks for due batches, ms. Lower = closer to maxWaitMs, more store queries. Default 250. */
  pollMs: number;
  /** Batches one node sends at the same time. Default 4. */
  concurrency: number;
  /** Delivery attempts kept per app for the admin API. Default 100. */
  logSize: number;
}

export interface Config {
  /** Which roles this process runs. Default `all` (session + channel server in one process). */
  role: Role;
  /** Interface to listen on. Default `0.0.0.0`. */
  host: string;
  /** TCP port for HTTP and WebSocket (0 = pick a free one). Default 8080. */
  port: number;
  /** URL clients use to reach this node's WebSocket (cluster node registry). Default derived from host:port. */
  publicUrl?: string;
  /** Stable node id (cluster). Default random per start. */
  nodeId?: string;
  /** Directory for the SQLite file and the generated admin token. Default `./data`. */
  dataDir: string;
  store: StoreConfig;
  broker: BrokerConfig;
  /**
   * Where the bytes of files uploaded into channels live: `fs` (files under blobDir, one node) or
   * `postgres` (the postgres store's database: every node of a cluster reads them, no shared disk).
   * Default: `postgres` with the postgres store, `fs` with SQLite.
   */
  blobStore?: 'fs' | 'postgres';
  /** Directory of the `fs` blob store. Default `<dataDir>/files`. */
  blobDir?: string;
  /** Admin credential for /v1/admin (Bearer). Default: read from (or generated into) `<dataDir>/admin-token`. */
  adminToken?: string;
  /** Lifetime of access (connection) tokens, seconds. Shorter = quicker revocation, more refreshes. Default 900. */
  accessTokenTtlSec: number;
  /** Lifetime of refresh tokens (a device stays logged in this long unused), seconds. Default 30 days. */
  refreshTokenTtlSec: number;
  /**
   * A refresh token already rotated away and presented again revokes its whole session (reuse
   * detection), except within this long after its rotation: then it is the benign race of two
   * refreshes sent at once (tabs sharing storage), answered 409 without revoking. 0 = every reuse
   * revokes. Longer tolerates slower racing clients, shorter gives a thief less cover. Default 2000.
   */
  refreshReuseGraceMs: number;
  /** Login throttling; `false` turns it off (tests, or a proxy that already throttles). */
  loginThrottle: LoginThrottleConfig | false;
  /**
   * Take the client IP from `X-Forwarded-For` (fastify `trustProxy`): `true` trusts any hop, a string
   * names the proxies' addresses or CIDRs, comma-separated. Set it behind a load balancer, or every
   * client shares the balancer's address and login throttling per IP hits them all. Default false.
   */
  trustProxy: boolean | string;
  /** Server ping interval; clients answer within pongTimeoutMs. Lower detects dead peers sooner, costs frames. Default 25000. */
  pingIntervalMs: number;
  /** How long to wait for a pong before closing with 3012. Default 8000. */
  pongTimeoutMs: number;
  /** A socket must send `connect` within this time or is closed with 3502. Default 10000. */
  connectTimeoutMs: number;
  /**
   * Largest accepted WebSocket frame / emulation request, bytes; bigger ones close the connection (1009,
   * which the SDKs do not retry). Must exceed maxMessageBytes by at least 4 KiB (the command envelope), so a
   * message over the message limit is answered with error 106 and the connection stays. Default 262144.
   */
  maxFrameBytes: number;
  /** Largest publication `data` (encoded JSON), bytes; bigger gets error 106 and the connection stays. Default 65536. */
  maxMessageBytes: number;
  /** Channels one connection may subscribe to; beyond gets error 106. Default 128. */
  maxChannelsPerConnection: number;
  /**
   * Live connections one user may hold cluster-wide (all devices); one more is closed with 3504
   * "connection limit" (the SDKs stop reconnecting). Leave room for a dropped connection the server
   * has not noticed yet (until its ping times out). 0 = no limit. Per app: settings `limits`. Default 0.
   */
  maxConnectionsPerUser: number;
  /**
   * Live connections one app may hold cluster-wide; beyond, connect gets error 106 marked temporary
   * (the SDKs retry with backoff until a slot frees). 0 = no limit. Per app: settings `limits`. Default 0.
   */
  maxConnectionsPerApp: number;
  /** Connection attempts one client IP may make to one app per minute; beyond, error 111 (temporary). 0 = off. Default 0. */
  connectsPerIpPerMinute: number;
  /**
   * Publishes one user may make per second (all their connections, cluster-wide); beyond, error 111
   * (temporary). Costs one limiter call per publish (a Redis round trip in a cluster). 0 = off. Default 0.
   */
  publishesPerUserPerSecond: number;
  /** Publishes per second into one channel (users and the backend together); beyond, error 111 / HTTP 429. 0 = off. Default 0. */
  publishesPerChannelPerSecond: number;
  /** Members one channel may have; adding past it gets error 106 and adds nobody. 0 = no limit. Default 0. */
  maxMembersPerChannel: number;
  /**
   * Connections a channel's presence may list; a client `subscribe` past it gets error 106
   * (server-side subscriptions of members are not refused: members are capped by maxMembersPerChannel).
   * 0 = no limit. Default 0.
   */
  maxPresenceSize: number;
  /** Longest channel name. Default 255. */
  maxChannelNameLength: number;
  /** Malformed or refused commands tolerated per connection before closing with 3509. Default 20. */
  maxErrorsPerConnection: number;
  /** Commands per second per connection (token bucket, burst = 2×); beyond gets error 111. 0 = off. Default 1000. */
  maxCommandsPerSecond: number;
  /** Bytes queued to one socket before it is cut off as a slow consumer (3008). Higher tolerates slow links, costs memory. Default 4 MiB. */
  maxWriteBufferBytes: number;
  /** Replies/pushes gathered into one frame at most. Default 256. */
  maxMessagesPerFrame: number;
  /** Largest `limit` for history and unread fetches. Default 1000. */
  maxHistoryLimit: number;
  /**
   * Most payload bytes in one history page, unread fetch or recovery reply. A history page stops early (the
   * client pages on); a recovery that would need more answers `recovered: false` (the client reads history).
   * Bounds a connection's memory however large the messages are. At most maxWriteBufferBytes. Default 2 MiB.
   */
  maxReplyBytes: number;
  /** Most publications a resubscribe may recover; beyond, `recovered: false` (112 not used). Default 10000. */
  maxRecoveryPublications: number;
  /** Largest batch written to the store in one transaction. Default 1000. */
  maxStoreBatch: number;
  /** permessage-deflate on the WebSocket. Saves bandwidth, costs CPU per frame. Default false. */
  perMessageDeflate: boolean;
  /** Cluster: a dead node's presence entries vanish (with leave events) this long after its last heartbeat. Shorter = faster cleanup, more Redis writes. Default 15000. */
  presenceTtlMs: number;
  /**
   * How long a user's last connection must stay gone before the user counts as offline (afterUserOffline, webhooks):
   * a device that drops and comes back within it produces no offline/online pair. Ably uses 15 s. Default 10000.
   */
  presenceDelayMs: number;
  /** Cluster: a node that stops heartbeating leaves the registry after this long. Default 5000. */
  nodeTtlMs: number;
  /** How long graceful shutdown waits for in-flight writes, ms. Default 5000. */
  shutdownTimeoutMs: number;
  /** A connection whose token expired is closed this long after `exp` unless it refreshes (the SDKs refresh right at expiry, so a grace avoids racing them). Default 25000 (as Centrifugo). */
  tokenExpiryGraceMs: number;
  /** Origins allowed to call the HTTP API from browsers (CORS); `['*']` allows any (auth is by header, never cookies). Default ['*']. */
  corsOrigins: string[];
  /**
   * Browser origins allowed to open client connections (WebSocket, HTTP streaming, SSE, emulation), as
   * Centrifugo's `allowed_origins`: exact origins, `https://*.example.com` patterns, or `*`. Requests without an
   * Origin header (native apps, servers) always pass. Default ['*']: connections authenticate with a token in the
   * connect command, never with cookies, so another site's page cannot act as a user; narrow it to keep other
   * sites from using your server at all.
   */
  allowedOrigins: string[];
  /** Serve the HTTP-streaming, SSE and emulation endpoints (fallbacks for networks that block WebSocket). Default true. */
  httpStreaming: boolean;
  /** Serve the unidirectional endpoints (uni_sse, uni_http_stream) for SDK-less consumers. Default true. */
  unidirectional: boolean;
  /** Webhook delivery: timeouts, retries, polling (per-app settings `webhooks` say where and what). */
  webhookDelivery: WebhookDeliveryConfig;
  /** pino log level. Default `info` (`silent` in tests). */
  logLevel: string;
  /**
   * Channel kinds by name prefix, e.g. `[{prefix: 'game:', kind: 'ephemeral'}, {prefix: 'ticker:', kind: 'cache'},
   * {prefix: 'support:', retention: {maxAgeSec: 2592000}}]`. Applied when a channel is created. Default [] (durable, kept forever).
   */
  channelNamespaces: ChannelNamespace[];
  /** How often the background trim enforces retention, ms. Default 60000. */
  retentionSweepMs: number;
  /** Hooks passed inline (see hooks.ts); plugins can add more. */
  hooks?: Partial<HookTable>;
  /** Push delivery: outbox dispatcher, trusted CAs, allowed Web Push hosts (push/config.ts PushConfig; defaults there). */
  push?: Partial<PushConfig>;
}

export const defaultConfig: Config = {
  role: 'all',
  host: '0.0.0.0',
  port: 8080,
  dataDir: './data',
  store: { kind: 'sqlite' },
  broker: { kind: 'memory' },
  accessTokenTtlSec: 900,
  refreshTokenTtlSec: 30 * 24 * 3600,
  refreshReuseGraceMs: 2000,
  loginThrottle: { userIpFailures: 5, ipFailures: 50, windowMs: 15 * 60_000, blockMs: 30_000, maxBlockMs: 5 * 60_000 },
  trustProxy: false,
  pingIntervalMs: 25_000,
  pongTimeoutMs: 8_000,
  connectTimeoutMs: 10_000,
  maxFrameBytes: 262_144,
  maxMessageBytes: 65_536,
  maxChannelsPerConnection: 128,
  maxConnectionsPerUser: 0,
  maxConnectionsPerApp: 0,
  connectsPerIpPerMinute: 0,
  publishesPerUserPerSecond: 0,
  publishesPerChannelPerSecond: 0,
  maxMembersPerChannel: 0,
  maxPresenceSize: 0,
  maxChannelNameLength: 255,
  maxErrorsPerConnection: 20,
  maxCommandsPerSecond: 1000,
  maxWriteBufferBytes: 4 * 1024 * 1024,
  maxMessagesPerFrame: 256,
  maxHistoryLimit: 1000,
  maxReplyBytes: 2 * 1024 * 1024,
  maxRecoveryPublications: 10_000,
  maxStoreBatch: 1000,
  perMessageDeflate: false,
  shutdownTimeoutMs: 5000,
  presenceTtlMs: 15_000,
  presenceDelayMs: 10_000,
  tokenExpiryGraceMs: 25_000,
  corsOrigins: ['*'],
  allowedOrigins: ['*'],
  httpStreaming: true,
  unidirectional: true,
  nodeTtlMs: 5000,
  webhookDelivery: { timeoutMs: 5000, retryBaseMs: 1000, retryMaxMs: 900_000, maxAttempts: 16, pollMs: 250, concurrency: 4, logSize: 100 },
  logLevel: 'info',
  channelNamespaces: [],
  retentionSweepMs: 60_000,
};

/** What callers pass: any subset; `loginThrottle` may name only the fields it changes. */
export type ConfigInput = Omit<Partial<Config>, 'loginThrottle' | 'webhookDelivery'> & { loginThrottle?: Partial<LoginThrottleConfig> | false; webhookDelivery?: Partial<WebhookDeliveryConfig> };

/** Defaults + input, validated. Conflicting or impossible settings throw at once with the field named. */
export function resolveConfig(input: ConfigInput = {}): Config {
  const c = { ...defaultConfig, ...stripUndefined(input) } as Config;
  const positive: (keyof Config)[] = [
    'accessTokenTtlSec', 'refreshTokenTtlSec', 'pingIntervalMs', 'pongTimeoutMs', 'connectTimeoutMs', 'maxFrameBytes',
    'maxMessageBytes', 'maxChannelsPerConnection', 'maxChannelNameLength', 'maxErrorsPerConnection', 'maxWriteBufferBytes',
    'maxMessagesPerFrame', 'maxHistoryLimit', 'maxReplyBytes', 'maxRecoveryPublications', 'maxStoreBatch', 'shutdownTimeoutMs', 'presenceTtlMs', 'nodeTtlMs', 'presenceDelayMs', 'retentionSweepMs',
  ];
  for (const k of positive) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TypeError(`config.${k} must be a positive number, got ${String(v)}`);
  }
  const zeroIsOff: (keyof Config)[] = [
    'maxConnectionsPerUser', 'maxConnectionsPerApp', 'connectsPerIpPerMinute', 'publishesPerUserPerSecond', 'publishesPerChannelPerSecond',
    'maxMembersPerChannel', 'maxPresenceSize',
  ];
  for (const k of zeroIsOff) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`config.${k} must be an integer >= 0 (0 = no limit), got ${String(v)}`);
  }
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) throw new TypeError(`config.port must be 0..65535, got ${c.port}`);
  if (!['all', 'session', 'channel'].includes(c.role)) throw new TypeError(`config.role must be all, session or channel, got ${c.role}`);
  if (c.store.kind !== 'sqlite' && c.store.kind !== 'postgres') throw new TypeError(`config.store.kind must be sqlite or postgres`);
  if (c.store.kind === 'postgres' && !c.store.url) throw new TypeError('config.store.url is required for the postgres store');
  if (c.blobStore !== undefined && c.blobStore !== 'fs' && c.blobStore !== 'postgres') throw new TypeError(`config.blobStore must be fs or postgres, got ${String(c.blobStore)}`);
  if (c.blobStore === 'postgres' && c.store.kind !== 'postgres') throw new TypeError('config.blobStore=postgres needs the postgres store (the blobs live in its database)');
  if (c.broker.kind !== 'memory' && c.broker.kind !== 'redis') throw new TypeError('config.broker.kind must be memory or redis');
  if (c.broker.kind === 'redis' && !c.broker.url) throw new TypeError('config.broker.url is required for the redis broker');
  if (c.role !== 'all' && c.broker.kind === 'memory') {
    throw new TypeError(`config.role=${c.role} needs a shared broker (redis): with the memory broker the other roles cannot reach this process`);
  }
  if (c.role !== 'all' && c.store.kind === 'sqlite') {
    throw new TypeError(`config.role=${c.role} needs a shared store (postgres): a SQLite file cannot be shared by several processes safely`);
  }
  if (!Number.isFinite(c.tokenExpiryGraceMs) || c.tokenExpiryGraceMs < 0) throw new TypeError('config.tokenExpiryGraceMs must be >= 0');
  if (!Number.isFinite(c.refreshReuseGraceMs) || c.refreshReuseGraceMs < 0) throw new TypeError('config.refreshReuseGraceMs must be >= 0');
  if (c.loginThrottle !== false) {
    const lt: LoginThrottleConfig = { ...(defaultConfig.loginThrottle as LoginThrottleConfig), ...stripUndefined(c.loginThrottle ?? {}) };
    for (const k of Object.keys(lt) as (keyof LoginThrottleConfig)[]) {
      if (typeof lt[k] !== 'number' || !Number.isFinite(lt[k]) || lt[k] <= 0) throw new TypeError(`config.loginThrottle.${k} must be a positive number, got ${String(lt[k])}`);
    }
    if (lt.maxBlockMs < lt.blockMs) throw new TypeError('config.loginThrottle.maxBlockMs cannot be shorter than blockMs');
    c.loginThrottle = lt;
  }
  const wd: WebhookDeliveryConfig = { ...defaultConfig.webhookDelivery, ...stripUndefined(c.webhookDelivery ?? {}) };
  for (const k of Object.keys(wd) as (keyof WebhookDeliveryConfig)[]) {
    if (typeof wd[k] !== 'number' || !Number.isFinite(wd[k]) || wd[k] <= 0) throw new TypeError(`config.webhookDelivery.${k} must be a positive number, got ${String(wd[k])}`);
  }
  if (wd.retryMaxMs < wd.retryBaseMs) throw new TypeError('config.webhookDelivery.retryMaxMs cannot be shorter than retryBaseMs');
  c.webhookDelivery = wd;
  if (!Array.isArray(c.corsOrigins)) throw new TypeError('config.corsOrigins must be an array of origins (or ["*"])');
  if (!Array.isArray(c.allowedOrigins) || !c.allowedOrigins.every((o) => typeof o === 'string')) throw new TypeError('config.allowedOrigins must be an array of origins (or ["*"])');
  if (c.maxFrameBytes < c.maxMessageBytes + 4096) {
    throw new TypeError(`config.maxFrameBytes (${c.maxFrameBytes}) must be at least config.maxMessageBytes (${c.maxMessageBytes}) + 4096, so an over-size message gets error 106 instead of closing the connection`);
  }
  if (c.maxReplyBytes > c.maxWriteBufferBytes) throw new TypeError('config.maxReplyBytes cannot exceed config.maxWriteBufferBytes');
  if (c.pongTimeoutMs >= c.pingIntervalMs) throw new TypeError('config.pongTimeoutMs must be shorter than config.pingIntervalMs');
  return c;
}

export function sqlitePath(c: Config): string {
  return c.store.kind === 'sqlite' && c.store.path ? c.store.path : path.join(c.dataDir, 'xpush.db');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
