import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { PG_URL, REDIS_URL } from './services.ts';
import { spawnXpush } from './process.ts';


export interface Node {
  id: string;
  role: string;
  proc: ChildProcess;
  url: string;
  wsUrl: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

export interface ClusterOptions {
  /** Redis URL the nodes use (a RedisProxy URL for outage tests). */
  redisUrl?: string;
  config?: Record<string, unknown>;
}

/**
 * A real cluster as separate processes: `xpush start --role session|channel`, sharing one PostgreSQL
 * schema and one Redis key prefix that are private to this test run and removed afterwards.
 */
export class TestCluster {
  readonly prefix = `xpt${randomBytes(4).toString('hex')}:`;
  readonly schema = `xpt_${randomBytes(4).toString('hex')}`;
  readonly adminToken = 'cluster-admin-' + randomBytes(4).toString('hex');
  readonly nodes: Node[] = [];
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-cluster-'));
  private readonly configFile: string;

  constructor(private readonly opts: ClusterOptions = {}) {
    this.configFile = path.join(this.dir, 'config.json');
    fs.writeFileSync(this.configFile, JSON.stringify({ presenceTtlMs: 3000, nodeTtlMs: 2000, pingIntervalMs: 3000, pongTimeoutMs: 2000, ...opts.config }));
  }

  async start(role: 'session' | 'channel' | 'all', id: string): Promise<Node> {
    const args = [
      '--role', role, '--host', '127.0.0.1', '--port', '0',
      '--node-id', id, '--store', 'postgres', '--pg-url', PG_URL, '--pg-schema', this.schema,
      '--broker', 'redis', '--redis-url', this.opts.redisUrl ?? REDIS_URL, '--redis-prefix', this.prefix,
      '--admin-token', this.adminToken, '--config', this.configFile, '--data-dir', this.dir, '--log-level', 'info',
    ];
    const { proc, url, wsUrl, exited } = await spawnXpush(args);
    const node: Node = { id, role, proc, url, wsUrl, exited };
    this.nodes.push(node);
    return node;
  }

  get session(): Node {
    const s = this.nodes.find((n) => n.role === 'session');
    if (!s) throw new Error('no session node');
    return s;
  }

  /** kill -9: no goodbye, no flush. */
  async kill(node: Node): Promise<void> {
    node.proc.kill('SIGKILL');
    await node.exited;
  }

  /** SIGTERM: graceful shutdown; resolves with the exit code. */
  async terminate(node: Node): Promise<number | null> {
    node.proc.kill('SIGTERM');
    return node.exited;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(async (n) => {
      if (n.proc.exitCode === null && n.proc.signalCode === null) {
        n.proc.kill('SIGKILL');
        await n.exited;
      }
    }));
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    await db.end();
    const r = new Redis(REDIS_URL);
    const keys = await r.keys(this.prefix + '*');
    if (keys.length) await r.del(...keys);
    await r.quit();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
