import fs from 'node:fs';
import type { ConfigInput, StoreConfig, BrokerConfig, Role } from '../config.ts';

/** CLI options shared by every command that opens the store or broker. */
export interface CommonOptions {
  config?: string;
  dataDir?: string;
  store?: string;
  pgUrl?: string;
  pgSchema?: string;
  broker?: string;
  redisUrl?: string;
  redisPrefix?: string;
}

export interface StartOptions extends CommonOptions {
  role?: string;
  host?: string;
  port?: string;
  publicUrl?: string;
  nodeId?: string;
  adminToken?: string;
  logLevel?: string;
}

/**
 * Config from three sources, strongest first: flags, then XPUSH_* environment variables, then a JSON
 * config file (--config or XPUSH_CONFIG), then the defaults (config.ts).
 */
export function configFrom(opts: StartOptions, env: NodeJS.ProcessEnv = process.env): ConfigInput {
  const file = opts.config ?? env.XPUSH_CONFIG;
  const fromFile: ConfigInput = file ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ConfigInput) : {};
  const pick = (flag: string | undefined, name: string): string | undefined => flag ?? env[name];
  const out: ConfigInput = { ...fromFile };
  const role = pick(opts.role, 'XPUSH_ROLE');
  if (role) out.role = role as Role;
  const host = pick(opts.host, 'XPUSH_HOST');
  if (host) out.host = host;
  const port = pick(opts.port, 'XPUSH_PORT');
  if (port !== undefined) {
    if (!/^\d+$/.test(port)) throw new TypeError(`port must be a number, got "${port}"`);
    out.port = Number(port);
  }
  const dataDir = pick(opts.dataDir, 'XPUSH_DATA_DIR');
  if (dataDir) out.dataDir = dataDir;
  const publicUrl = pick(opts.publicUrl, 'XPUSH_PUBLIC_URL');
  if (publicUrl) out.publicUrl = publicUrl;
  const nodeId = pick(opts.nodeId, 'XPUSH_NODE_ID');
  if (nodeId) out.nodeId = nodeId;
  const adminToken = pick(opts.adminToken, 'XPUSH_ADMIN_TOKEN');
  if (adminToken) out.adminToken = adminToken;
  const logLevel = pick(opts.logLevel, 'XPUSH_LOG_LEVEL');
  if (logLevel) out.logLevel = logLevel;
  const store = storeFrom(opts, env);
  if (store) out.store = store;
  const broker = brokerFrom(opts, env);
  if (broker) out.broker = broker;
  return out;
}

function storeFrom(opts: CommonOptions, env: NodeJS.ProcessEnv): StoreConfig | undefined {
  const kind = opts.store ?? env.XPUSH_STORE ?? (opts.pgUrl || env.XPUSH_PG_URL ? 'postgres' : undefined);
  if (!kind) return undefined;
  if (kind === 'sqlite') return { kind: 'sqlite', path: env.XPUSH_SQLITE_PATH };
  if (kind === 'postgres') {
    const url = opts.pgUrl ?? env.XPUSH_PG_URL;
    if (!url) throw new TypeError('--store postgres needs --pg-url (or XPUSH_PG_URL)');
    return { kind: 'postgres', url, schema: opts.pgSchema ?? env.XPUSH_PG_SCHEMA };
  }
  throw new TypeError(`--store must be sqlite or postgres, got "${kind}"`);
}

function brokerFrom(opts: CommonOptions, env: NodeJS.ProcessEnv): BrokerConfig | undefined {
  const kind = opts.broker ?? env.XPUSH_BROKER ?? (opts.redisUrl || env.XPUSH_REDIS_URL ? 'redis' : undefined);
  if (!kind) return undefined;
  if (kind === 'memory') return { kind: 'memory' };
  if (kind === 'redis') {
    const url = opts.redisUrl ?? env.XPUSH_REDIS_URL;
    if (!url) throw new TypeError('--broker redis needs --redis-url (or XPUSH_REDIS_URL)');
    return { kind: 'redis', url, prefix: opts.redisPrefix ?? env.XPUSH_REDIS_PREFIX };
  }
  throw new TypeError(`--broker must be memory or redis, got "${kind}"`);
}
