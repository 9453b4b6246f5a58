import { Type } from 'typebox';
import { optionalString, positive } from './kit.ts';

const strict = { additionalProperties: false } as const;

export const SqliteStoreSchema = Type.Object({
  kind: Type.Literal('sqlite', { description: '`sqlite` (one process, a file) or `postgres` (shared by a cluster).' }),
  path: optionalString('SQLite file (sqlite store). Unset: `<dataDir>/xpush.db`.'),
}, strict);
export const PostgresStoreSchema = Type.Object({
  kind: Type.Literal('postgres'),
  url: Type.String({ minLength: 1, description: 'PostgreSQL URL (postgres store), e.g. `postgres://user@127.0.0.1:5432/xpush`.', secret: 'url' }),
  schema: optionalString('PostgreSQL schema for all tables (postgres store). Unset: `public`.'),
}, strict);
export const MemoryBrokerSchema = Type.Object({
  kind: Type.Literal('memory', { description: '`memory` (one process) or `redis` (cross-node delivery, presence and node registry of a cluster).' }),
}, strict);
export const RedisBrokerSchema = Type.Object({
  kind: Type.Literal('redis'),
  url: Type.String({ minLength: 1, description: 'Redis URL (redis broker), e.g. `redis://127.0.0.1:6379`.', secret: 'url' }),
  prefix: optionalString('Prefix of every Redis key and topic (redis broker). Unset: `xpush:`.'),
}, strict);

/** Process, listening address, data and backends. */
export const ServerSettings = {
  role: Type.Union([Type.Literal('all'), Type.Literal('session'), Type.Literal('channel')], {
    default: 'all', description: 'Which roles this process runs: `all` (session and channel server in one process), `session` (HTTP API, node assignment) or `channel` (WebSocket). `session`/`channel` need the postgres store and the redis broker.',
  }),
  host: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Interface to listen on.' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port for HTTP and WebSocket (0 = pick a free one).' }),
  publicUrl: optionalString('URL clients use to reach this node\'s WebSocket (cluster node registry). Unset: `ws://<host>:<port>/connection/websocket`.'),
  nodeId: optionalString('Stable node id (cluster). Unset: random per start.'),
  dataDir: Type.String({ minLength: 1, default: './data', description: 'Directory for the SQLite file, uploaded files and the generated admin token.' }),
  // A string with an enum rather than a union of literals: callers pass levels held in plain strings.
  logLevel: Type.String({
    enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'pino log level. `debug` adds connect/disconnect/refusal lines.',
  }),
  store: Type.Union([SqliteStoreSchema, PostgresStoreSchema], { default: { kind: 'sqlite' }, description: 'Where apps, users, channels and messages are stored.' }),
  broker: Type.Union([MemoryBrokerSchema, RedisBrokerSchema], { default: { kind: 'memory' }, description: 'How nodes exchange publications, presence and the node registry.' }),
  blobStore: Type.Optional(Type.Union([Type.Literal('fs'), Type.Literal('postgres')], {
    description: 'Where the bytes of files uploaded into channels live: `fs` (files under blobDir, one node) or `postgres` (the postgres store\'s database: every node of a cluster reads them, no shared disk). Unset: `postgres` with the postgres store, `fs` with SQLite.',
  })),
  blobDir: optionalString('Directory of the `fs` blob store. Unset: `<dataDir>/files`.'),
};

/** Cluster membership and presence timing. */
export const ClusterSettings = {
  nodeTtlMs: positive(5000, 'Cluster: a node that stops heartbeating leaves the registry after this long, ms; only its keys move on the hashing ring.'),
  presenceTtlMs: positive(15_000, 'Cluster: a dead node\'s presence entries vanish (with leave events) this long after its last heartbeat, ms. Shorter = faster cleanup, more Redis writes.'),
  presenceDelayMs: positive(10_000, 'How long a user\'s last connection must stay gone before the user counts as offline (afterUserOffline, webhooks), ms: a device that drops and comes back within it produces no offline/online pair.'),
  shutdownTimeoutMs: positive(5000, 'How long graceful shutdown waits for in-flight writes, ms.'),
};
