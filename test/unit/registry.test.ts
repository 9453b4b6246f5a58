import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { NodeRegistry, type NodeInfo } from '../../src/cluster/registry.ts';
import { XPushError } from '../../src/errors.ts';
import { RedisProxy } from '../contract/redis-proxy.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = `xpush-test:${randomBytes(4).toString('hex')}:`;
const fast = { heartbeatMs: 100, ttlMs: 500, watchMs: 100 };
let seq = 0;

const admin = new Redis(REDIS_URL);
after(async () => {
  const keys = await admin.keys(`${root}*`);
  if (keys.length) await admin.del(...keys);
  await admin.quit();
});

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function registry(t: { after(fn: () => Promise<void>): void }, prefix: string, url = REDIS_URL, opts = {}): NodeRegistry {
  const r = new NodeRegistry(url, prefix, { ...fast, ...opts });
  t.after(() => r.stop());
  return r;
}

const ids = (nodes: NodeInfo[]): string[] => nodes.map((n) => n.id);

describe('NodeRegistry', () => {
  it('lists the nodes that joined, with their load', async (t) => {
    const prefix = `${root}${++seq}:`;
    const a = registry(t, prefix);
    const b = registry(t, prefix);
    const watcher = registry(t, prefix); // never started: a session server only watching
    let conns = 3;
    const t0 = Date.now();
    await a.start({ id: 'ch-1', url: 'ws://10.0.0.1:8080', role: 'channel' }, () => ({ connections: conns }));
    await b.start({ id: 'se-1', url: 'ws://10.0.0.2:8080', role: 'session' }, () => ({ connections: 0 }));
    const nodes = await watcher.list();
    assert.deepEqual(ids(nodes), ['ch-1', 'se-1']);
    const ch = nodes[0]!;
    assert.deepEqual({ ...ch, updatedAt: 0 }, { id: 'ch-1', url: 'ws://10.0.0.1:8080', role: 'channel', connections: 3, updatedAt: 0 });
    assert.ok(ch.updatedAt >= t0 && ch.updatedAt <= Date.now());

    conns = 42; // the next heartbeat carries the new load
    await until(async () => (await watcher.list())[0]?.connections === 42, 1000, 'the new connection count');
  });

  it('keeps prefixes apart', async (t) => {
    const a = registry(t, `${root}${++seq}:`);
    const other = registry(t, `${root}${++seq}:`);
    await a.start({ id: 'n1', url: 'ws://x', role: 'all' }, () => ({ connections: 0 }));
    assert.deepEqual(await other.list(), []);
  });

  it('drops a node that stops heartbeating (lost Redis or crashed) within ttlMs, and takes it back when it returns', async (t) => {
    const prefix = `${root}${++seq}:`;
    const proxy = new RedisProxy(REDIS_URL);
    await proxy.up();
    t.after(() => proxy.down());
    const errors: Error[] = [];
    const dying = registry(t, prefix, proxy.url, { onError: (e: Error) => errors.push(e) });
    const watcher = registry(t, prefix);
    await dying.start({ id: 'n1', url: 'ws://x', role: 'channel' }, () => ({ connections: 1 }));
    assert.deepEqual(ids(await watcher.list()), ['n1']);

    await proxy.down(); // heartbeats now fail; no stop() was called
    const t0 = Date.now();
    await until(async () => (await watcher.list()).length === 0, fast.ttlMs + 500, 'the record to expire');
    const gone = Date.now() - t0;
    assert.ok(gone <= fast.ttlMs + 250, `gone after ${gone} ms`);
    assert.ok(errors.length > 0 && errors.every((e) => e instanceof XPushError && e.code === 503), 'heartbeat failures are reported');

    await proxy.up();
    await until(async () => (await watcher.list()).length === 1, 3000, 'the node to come back');
  });

  it('stop() deregisters at once', async (t) => {
    const prefix = `${root}${++seq}:`;
    const a = registry(t, prefix);
    const watcher = registry(t, prefix);
    await a.start({ id: 'n1', url: 'ws://x', role: 'channel' }, () => ({ connections: 0 }));
    await a.stop();
    await a.stop(); // idempotent
    assert.deepEqual(await watcher.list(), []);
    assert.deepEqual(await admin.keys(`${prefix}*`), [], 'no keys left behind');
  });

  it('onChange reports joins and leaves within ~1 s, not load changes', async (t) => {
    const prefix = `${root}${++seq}:`;
    const watcher = registry(t, prefix);
    const seen: string[][] = [];
    const off = watcher.onChange((nodes) => seen.push(ids(nodes)));
    await until(() => seen.length === 1, 1000, 'the initial list');
    assert.deepEqual(seen, [[]]);

    let conns = 0;
    const a = registry(t, prefix);
    const b = registry(t, prefix);
    let t0 = Date.now();
    await a.start({ id: 'a', url: 'ws://a', role: 'channel' }, () => ({ connections: conns++ }));
    await until(() => seen.length === 2, 1000, 'the join');
    assert.ok(Date.now() - t0 < 1000);
    await b.start({ id: 'b', url: 'ws://b', role: 'channel' }, () => ({ connections: 0 }));
    await until(() => seen.length === 3, 1000, 'the second join');
    await new Promise((r) => setTimeout(r, 400)); // several heartbeats with a changing load
    assert.equal(seen.length, 3, 'load changes are not membership changes');

    // A listener added later gets the current list straight away.
    const late: string[][] = [];
    const offLate = watcher.onChange((nodes) => late.push(ids(nodes)));
    await until(() => late.length === 1, 200, 'the current list for a late listener');
    assert.deepEqual(late, [['a', 'b']]);
    offLate();

    t0 = Date.now();
    await a.stop();
    await until(() => seen.length === 4, 1000, 'the leave');
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(seen, [[], ['a'], ['a', 'b'], ['b']]);

    off();
    await b.stop();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(seen.length, 4, 'no calls after the listener is removed');
  });

  it('refuses a heartbeat that is not shorter than the TTL', () => {
    assert.throws(() => new NodeRegistry(REDIS_URL, root, { heartbeatMs: 5000, ttlMs: 5000 }), RangeError);
  });

  it('rejects with 503 when Redis is unreachable', async (t) => {
    const r = registry(t, `${root}${++seq}:`, 'redis://127.0.0.1:1');
    const t0 = Date.now();
    await assert.rejects(r.list(), (e: unknown) => e instanceof XPushError && e.code === 503);
    await assert.rejects(r.start({ id: 'n', url: 'ws://x', role: 'all' }, () => ({ connections: 0 })), (e: unknown) => e instanceof XPushError && e.code === 503);
    assert.ok(Date.now() - t0 < 2500);
  });
});
