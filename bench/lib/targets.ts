/**
 * A deployment under test: XPUSH, Socket.IO, the bare `ws` server or the non-storing Centrifugal
 * server, as one process or (all but the last) as three nodes sharing Redis. Knows its client URLs,
 * wire protocol, how clients authenticate and how to create channels.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ServerProc } from './proc.ts';
import type { ProtoName } from '../load/protocols.ts';

export type Kind = 'xpush' | 'socketio' | 'bare' | 'centrifugal';
export const KINDS: Kind[] = ['xpush', 'socketio', 'bare', 'centrifugal'];
export const LABEL: Record<Kind, string> = { xpush: 'XPUSH', socketio: 'Socket.IO', bare: 'bare ws', centrifugal: 'Centrifugal no-store' };
/** The references XPUSH is divided by, one ratio column each. */
export const RATIO_REFS: { kind: Kind; label: string }[] = [
  { kind: 'socketio', label: 'XPUSH/Socket.IO' },
  { kind: 'bare', label: 'XPUSH/bare' },
  { kind: 'centrifugal', label: 'XPUSH/Centrifugal' },
];

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TargetOpts {
  /** 1 (default) or 3 nodes sharing Redis (cluster scenario). */
  nodes?: number;
  /** XPUSH store on a single node: sqlite (default) or postgres. */
  store?: 'sqlite' | 'postgres';
}

/**
 * How a channel keeps its publications. Only XPUSH tells them apart: `durable` is stored and acked
 * after the commit; `ephemeral` is not stored and acked at fan-out (docs/channels.md). The references
 * store nothing whatever the kind.
 */
export type ChannelKind = 'durable' | 'ephemeral';

export interface Target {
  kind: Kind;
  /** The wire protocol the load generator speaks to it. */
  proto: ProtoName;
  urls: string[];
  auth: { secret: string; app: string } | null;
  /** Every server process: their CPU is the server CPU. */
  procs: ServerProc[];
  createChannels(names: string[], kind?: ChannelKind): Promise<void>;
  stop(): Promise<void>;
}

/** The server could not start (as opposed to failing under load): reported as "not available". */
export class NotAvailable extends Error {}

export async function startTarget(kind: Kind, opts: TargetOpts = {}): Promise<Target> {
  if (kind === 'xpush') return startXpush(opts);
  const nodes = opts.nodes ?? 1;
  if (kind === 'centrifugal' && nodes > 1) throw new NotAvailable('the non-storing Centrifugal reference runs on one node only');
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(16).toString('hex');
  const script = kind === 'socketio' ? 'socketio' : kind === 'centrifugal' ? 'centrifugal-nostore' : 'bare-ws';
  const tokens = kind === 'socketio' || kind === 'centrifugal';
  const args = [...(tokens ? ['--secret', secret] : []), ...(nodes > 1 ? ['--redis', REDIS_URL, '--prefix', prefix] : [])];
  const procs: ServerProc[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
    if (nodes > 1) await deleteRedisKeys(prefix);
  };
  try {
    for (let i = 0; i < nodes; i++) procs.push(await ServerProc.start(script, args));
  } catch (e) {
    await stop();
    throw new NotAvailable((e as Error).message);
  }
  const path = kind === 'socketio' ? '/socket.io/?EIO=4&transport=websocket' : kind === 'centrifugal' ? '/connection/websocket' : '/';
  return {
    kind,
    proto: kind === 'centrifugal' ? 'xpush' : kind,
    urls: procs.map((p) => `ws://127.0.0.1:${p.port}${path}`),
    auth: tokens ? { secret, app: 'bench' } : null,
    procs,
    createChannels: async () => undefined,
    stop,
  };
}

async function startXpush(opts: TargetOpts): Promise<Target> {
  const nodes = opts.nodes ?? 1;
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const prefix = `bench-${randomBytes(4).toString('hex')}:`;
  const shared = nodes > 1 || opts.store === 'postgres';
  const store = shared ? { kind: 'postgres', url: PG_URL, schema } : undefined;
  const procs: ServerProc[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
    if (shared) await dropSchema(schema);
    if (nodes > 1) await deleteRedisKeys(prefix);
  };
  let api: ServerProc;
  try {
    if (nodes > 1) {
      const cluster = { broker: { kind: 'redis', url: REDIS_URL, prefix }, store };
      api = await ServerProc.start('xpush', ['--config', JSON.stringify({ ...cluster, role: 'session' })]);
      procs.push(api);
      // one at a time: the first start runs the schema migrations
      for (let i = 0; i < nodes; i++) procs.push(await ServerProc.start('xpush', ['--config', JSON.stringify({ ...cluster, role: 'channel' })]));
    } else {
      api = await ServerProc.start('xpush', ['--config', JSON.stringify(store ? { store } : {})]);
      procs.push(api);
    }
  } catch (e) {
    await stop();
    throw new NotAvailable((e as Error).message);
  }
  const base = `http://127.0.0.1:${api.port}`;
  let app: { id: string; secret: string };
  try {
    app = (await http(`${base}/v1/admin/apps`, { name: 'bench' }, { authorization: 'Bearer bench' })) as typeof app;
  } catch (e) {
    await stop();
    throw new NotAvailable(`creating the app: ${(e as Error).message}`);
  }
  const channelProcs = nodes > 1 ? procs.slice(1) : procs;
  return {
    kind: 'xpush',
    proto: 'xpush',
    urls: channelProcs.map((p) => `ws://127.0.0.1:${p.port}/connection/websocket`),
    auth: { secret: app.secret, app: app.id },
    procs,
    async createChannels(names, kind = 'durable') {
      let next = 0;
      const one = async (): Promise<void> => {
        while (next < names.length) {
          const channel = names[next++];
          await http(`${base}/v1/apps/${app.id}/channels`, { channel, type: 'open', kind }, { 'x-api-key': app.secret });
        }
      };
      await Promise.all(Array.from({ length: 16 }, one));
    },
    stop,
  };
}

async function http(url: string, body: unknown, headers: Record<string, string>): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${new URL(url).pathname} → ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  try {
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch {
    // best effort: a leftover bench schema is harmless
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined); // reported by the rejected command
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // best effort
  } finally {
    r.disconnect();
  }
}

/** Redis server CPU seconds so far (INFO cpu), to report the broker's share in the cluster scenario. */
export async function redisCpuSeconds(): Promise<number> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined); // reported by the rejected command
  try {
    await r.connect();
    const info = await r.info('cpu');
    const get = (k: string): number => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
    return get('used_cpu_sys') + get('used_cpu_user');
  } finally {
    r.disconnect();
  }
}
