import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { bootCluster, json, until } from './kit.ts';
import { RawClient } from '../helpers/clients.ts';
import { REDIS_URL } from '../helpers/services.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE_TTL_MS = 2000; // TestCluster's nodeTtlMs
const KEYS = 200;

/** `xpush nodes` as an operator runs it: the installed bin, pointed at the cluster's Redis and prefix. */
async function xpushNodes(prefix: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/xpush.js'), 'nodes', '--redis-url', REDIS_URL, '--redis-prefix', prefix], { cwd: ROOT, timeout: 20_000 });
  return stdout;
}

test('node registry and node assignment across 3 channel servers', async (t) => {
  const b = await bootCluster(t);
  if (!b) return;
  const { session, nodes, app } = b;
  const admin = { authorization: `Bearer ${b.cluster.adminToken}` };
  const [c1, c2, c3] = nodes as [typeof nodes[0], typeof nodes[0], typeof nodes[0]];
  const listed = async () => (await json('GET', session.url + '/v1/nodes', undefined, admin)).body.nodes as { id: string; url: string; role: string; connections: number }[];

  // Connections: 1 on c1, 2 on c2, none on c3.
  const token = await b.token('u1');
  for (const n of [c1, c2, c2]) {
    const c = new RawClient(n.wsUrl);
    c.autoPong = true; // the counts below must not change when a slow run reaches the ping interval
    t.after(() => c.close());
    await c.open();
    assert.ok((await c.call('connect', { token })).connect);
  }

  await t.test('GET /v1/nodes lists the three channel servers with their connection counts', async () => {
    // Counts travel with the heartbeat (every nodeTtlMs / 5).
    const got = await until('connection counts in the registry', async () => {
      const l = await listed();
      return l.map((n) => `${n.id}=${n.connections}`).join(',') === 'c1=1,c2=2,c3=0' ? l : undefined;
    }, 3000);
    assert.deepEqual(got.map((n) => [n.id, n.role, n.url]), nodes.map((n) => [n.id, 'channel', n.wsUrl]));
    // Any node answers with the same cluster-wide view.
    const fromC3 = (await json('GET', c3.url + '/v1/nodes', undefined, admin)).body.nodes;
    assert.deepEqual(fromC3.map((n: { id: string }) => n.id), ['c1', 'c2', 'c3']);
  });

  await t.test('xpush nodes prints the live nodes', async () => {
    const out = await xpushNodes(b.cluster.prefix);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 3, out);
    for (const [i, n] of nodes.entries()) {
      assert.match(lines[i]!, new RegExp(`^${n.id}\\tchannel\\t${n.wsUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\tconnections=${[1, 2, 0][i]}$`));
    }
  });

  const chanKeys = Array.from({ length: KEYS }, (_, i) => `/node/${app.id}/room-${i}`);
  const userKeys = Array.from({ length: KEYS }, (_, i) => `/node/${app.id}/user/user-${i}`);
  const assign = async (keys: string[]) => {
    const out = new Map<string, { id: string; url: string }>();
    await Promise.all(keys.map(async (k) => {
      const r = await json('GET', session.url + k);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      out.set(k, r.body.node);
    }));
    return out;
  };
  let before = new Map<string, { id: string; url: string }>();

  await t.test('node assignment: a live node, the same one for the same key, spread over all nodes', async () => {
    before = await assign([...chanKeys, ...userKeys]);
    const again = await assign([...chanKeys, ...userKeys]);
    const urls = new Map(nodes.map((n) => [n.id, n.wsUrl]));
    const share = new Map<string, number>();
    for (const [k, n] of before) {
      assert.equal(n.url, urls.get(n.id), `${k} → ${n.id} has the node's public URL`);
      assert.deepEqual(again.get(k), n, `${k} is stable`);
      share.set(n.id, (share.get(n.id) ?? 0) + 1);
    }
    // 400 keys on 3 nodes: each gets a real share (fair is 133).
    for (const id of ['c1', 'c2', 'c3']) assert.ok((share.get(id) ?? 0) > 60, `share of ${id}: ${share.get(id)}`);
    // The node handed out accepts a client.
    const c = new RawClient(before.get(userKeys[0]!)!.url);
    t.after(() => c.close());
    await c.open();
    assert.ok((await c.call('connect', { token: await b.token('user-0') })).connect);
    c.close();
  });

  await t.test('a SIGKILLed node leaves the registry within nodeTtlMs, and only its keys move', async () => {
    const killedAt = Date.now();
    await b.cluster.kill(c3);
    await until('c3 to leave /v1/nodes', async () => !(await listed()).some((n) => n.id === 'c3'), NODE_TTL_MS + 2000, 50);
    const gone = Date.now() - killedAt;
    assert.ok(gone <= NODE_TTL_MS + 1000, `c3 left after ${gone} ms`);
    assert.deepEqual((await listed()).map((n) => n.id), ['c1', 'c2']);
    const out = await xpushNodes(b.cluster.prefix);
    assert.deepEqual(out.trim().split('\n').map((l) => l.split('\t')[0]), ['c1', 'c2']);

    // The session server's ring follows the registry (it polls it); then compare every key.
    let after = new Map<string, { id: string; url: string }>();
    await until('assignments to skip c3', async () => {
      after = await assign([...chanKeys, ...userKeys]);
      return [...after.values()].every((n) => n.id !== 'c3');
    }, 3000, 100);
    let moved = 0;
    for (const [k, was] of before) {
      const now = after.get(k)!;
      if (was.id === 'c3') {
        moved++;
        assert.ok(now.id === 'c1' || now.id === 'c2', `${k} moved to a live node`);
      } else {
        assert.equal(now.id, was.id, `${k} was on ${was.id} and must not move`);
      }
    }
    assert.ok(moved > 60, `c3's keys moved (${moved})`);
  });

  await t.test('a node that comes back gets exactly its old keys back', async () => {
    await b.cluster.start('channel', 'c3');
    await until('c3 to be assigned again', async () => [...(await assign(chanKeys)).values()].some((n) => n.id === 'c3'), 5000, 100);
    // One snapshot taken wholly after the session server's ring took c3 back.
    const after = await assign([...chanKeys, ...userKeys]);
    for (const [k, was] of before) assert.equal(after.get(k)!.id, was.id, `${k}`);
  });
});
