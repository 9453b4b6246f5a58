import path from 'node:path';
import { ConfigSchema, type Config, type ConfigInput } from './schema.ts';
import { checkValue, show, type Issue } from './check.ts';
import { asSchema, defaultsOf, isObjectSchema, isPlainObject, pickVariant, switchOf, variantsOf, type Schema } from './walk.ts';

/** A refused configuration. `paths` name the settings involved, so a caller that knows where each came from can say so. */
export class ConfigError extends TypeError {
  constructor(message: string, readonly paths: string[] = []) {
    super(message);
    this.name = 'ConfigError';
  }
}

const SCHEMA = asSchema(ConfigSchema);

export const defaultConfig: Config = defaultsOf(SCHEMA) as Config;

/** Defaults + input, validated. Unknown, bad, conflicting or impossible settings throw at once, naming the field. */
export function resolveConfig(input: ConfigInput = {}): Config {
  const issues = checkValue(SCHEMA, input, { nullIsUnset: true, extraKeys: ['hooks'] });
  if (issues.length) throw new ConfigError(issues.map(programmaticLine).join('\n'), issues.map((i) => i.path));
  const c = fill(SCHEMA, input) as Config;
  if (input.hooks) c.hooks = input.hooks;
  crossCheck(c);
  return c;
}

function programmaticLine(i: Issue): string {
  if (i.unknown) return `config.${i.path} is not a setting${i.suggestion ? ` (did you mean ${i.suggestion}?)` : ''}${i.note ? `: ${i.note}` : ''}`;
  return `config.${i.path} must be ${i.expected}, got ${i.secret ? '(hidden)' : show(i.got)}`;
}

/** The value with every missing setting taken from its default (groups field by field). */
function fill(s: Schema, v: unknown): unknown {
  if (v === undefined || v === null) return defaultsOf(s);
  const variants = variantsOf(s);
  const group = switchOf(s);
  if (isObjectSchema(s) || (group && v !== false)) {
    const obj = group ?? s;
    const out: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(obj.properties!)) {
      const x = fill(p, (v as Record<string, unknown>)[k]);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  if (variants && isPlainObject(v)) {
    const kind = pickVariant(variants, v) ?? String((s.default as { kind: string }).kind);
    return fill(variants.get(kind)!, { ...v, kind });
  }
  return structuredClone(v);
}

function refuse(message: string, ...paths: string[]): never {
  throw new ConfigError(message, paths);
}

/** Settings that are fine alone but not together. */
function crossCheck(c: Config): void {
  if (c.store.kind === 'postgres' && !c.store.url) refuse('config.store.url is required for the postgres store', 'store.kind', 'store.url');
  if (c.broker.kind === 'redis' && !c.broker.url) refuse('config.broker.url is required for the redis broker', 'broker.kind', 'broker.url');
  if (c.blobStore === 'postgres' && c.store.kind !== 'postgres') refuse('config.blobStore=postgres needs the postgres store (the blobs live in its database)', 'blobStore', 'store.kind');
  if (c.role !== 'all' && c.broker.kind === 'memory') {
    refuse(`config.role=${c.role} needs a shared broker (redis): with the memory broker the other roles cannot reach this process`, 'role', 'broker.kind');
  }
  if (c.role !== 'all' && c.store.kind === 'sqlite') {
    refuse(`config.role=${c.role} needs a shared store (postgres): a SQLite file cannot be shared by several processes safely`, 'role', 'store.kind');
  }
  if (c.loginThrottle && c.loginThrottle.maxBlockMs < c.loginThrottle.blockMs) {
    refuse('config.loginThrottle.maxBlockMs cannot be shorter than blockMs', 'loginThrottle.maxBlockMs', 'loginThrottle.blockMs');
  }
  const wd = c.webhookDelivery;
  if (wd.retryMaxMs < wd.retryBaseMs) refuse('config.webhookDelivery.retryMaxMs cannot be shorter than retryBaseMs', 'webhookDelivery.retryMaxMs', 'webhookDelivery.retryBaseMs');
  if (c.maxFrameBytes < c.maxMessageBytes + 4096) {
    refuse(`config.maxFrameBytes (${c.maxFrameBytes}) must be at least config.maxMessageBytes (${c.maxMessageBytes}) + 4096, so an over-size message gets error 106 instead of closing the connection`, 'maxFrameBytes', 'maxMessageBytes');
  }
  if (c.maxReplyBytes > c.maxWriteBufferBytes) refuse(`config.maxReplyBytes (${c.maxReplyBytes}) cannot exceed config.maxWriteBufferBytes (${c.maxWriteBufferBytes})`, 'maxReplyBytes', 'maxWriteBufferBytes');
  if (c.pongTimeoutMs >= c.pingIntervalMs) refuse(`config.pongTimeoutMs (${c.pongTimeoutMs}) must be shorter than config.pingIntervalMs (${c.pingIntervalMs})`, 'pongTimeoutMs', 'pingIntervalMs');
  if (c.push.leaseMs <= c.push.requestTimeoutMs) {
    refuse('config.push.leaseMs must exceed config.push.requestTimeoutMs, or a slow send could be claimed twice', 'push.leaseMs', 'push.requestTimeoutMs');
  }
}

export function sqlitePath(c: Config): string {
  return c.store.kind === 'sqlite' && c.store.path ? c.store.path : path.join(c.dataDir, 'xpush.db');
}
