import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootCluster, checkDelivery, converge, Member, sleep, until } from './kit.ts';
import { RedisProxy } from '../contract/redis-proxy.ts';
import { REDIS_URL } from '../helpers/services.ts';
import type { Node } from '../helpers/cluster.ts';
import { RawClient } from '../helpers/clients.ts';

/**
 * Issue 3, item 7, on one cluster (1 session + 3 channel servers) whose Redis link runs through a
 * proxy: a Redis outage, then kill -9 of a channel server, then SIGTERM of another — all while every
 * member publishes continuously. After each fault every member must hold offsets 1..top exactly once,
 * in order, including every publish that was acknowledged to anyone.
 */
test('faults: Redis outage, kill -9 and graceful shutdown lose and duplicate nothing acknowledged', async (t) => {
  const proxy = new RedisProxy(REDIS_URL);
  await proxy.up();
  t.after(() => proxy.down());
  const b = await bootCluster(t, { redisUrl: proxy.url });
  if (!b) return;
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
  const tokens: string[] = [];
  for (const u of users) tokens.push(await b.token(u));
  assert.equal((await b.api('POST', '/channels', { channel: 'room', members: users })).status, 201);

  // Two members per node to start; afterwards they go wherever the session server sends them.
  const members: Member[] = [];
  for (const [i, u] of users.entries()) {
    const m = new Member(u, tokens[i]!, 'room', () => b.assign(u));
    t.after(() => m.stop());
    const n = b.nodes[i % 3]!;
    await m.connectTo({ id: n.id, url: n.wsUrl });
    members.push(m);
  }

  /** Runs every member's publish loop around `fault`, then waits for convergence and checks delivery. */
  async function underLoad(fault: () => Promise<void>): Promise<void> {
    let running = true;
    const loops = members.map((m) => m.publishLoop(() => !running));
    await sleep(600);
    await fault();
    await sleep(800); // traffic after recovery
    running = false;
    await Promise.all(loops);
    const top = await converge(b!, members, 'room');
    const acked = members.reduce((n, m) => n + m.acked.length, 0);
    t.diagnostic(`top ${top}; sent ${members.reduce((n, m) => n + m.k, 0)}, acked ${acked}, refused ${members.reduce((n, m) => n + m.refused.length, 0)}, unknown ${members.reduce((n, m) => n + m.unknown.length, 0)}; received ${members.map((m) => m.log.length).join('/')}`);
    assert.deepEqual(checkDelivery(members, top), []);
  }

  /** The live channel node holding the most members. */
  const busiest = (candidates: Node[]): Node => {
    const count = (n: Node) => members.filter((m) => m.nodeId === n.id).length;
    return [...candidates].sort((x, y) => count(y) - count(x))[0]!;
  };
  const live = new Set(b.nodes);
  /** Waits until `moved` (the clients `from` had) are connected to another node. */
  const reconnectedAway = async (from: string, moved: Member[]) => {
    await until(`clients of ${from} to reconnect elsewhere`, () => moved.every((m) => !m.reconnecting && m.nodeId !== from && !m.conn!.closed), 10_000, 50);
    t.diagnostic(`${from}: ${moved.map((m) => `${m.name}→${m.nodeId} recovered ${m.recoveries.at(-1)?.count} after ${m.reconnectErrors.length} failed tries`).join(', ')}`);
  };

  await t.test('Redis outage: publishes are refused at once with 503, then the cluster heals by itself', async () => {
    let downAt = 0;
    let upAt = 0;
    // Back to the same node: keeps two members per node, so recovery is checked across nodes. (Asking
    // the session server here would send everyone to whichever node re-registered first.)
    const viaSession = members.map((m) => m.pick);
    for (const m of members) m.pick = async () => ({ id: m.nodeId, url: m.nodeUrl });
    // An open ephemeral channel node c2 has cached (a publish there), deleted while Redis is away: the
    // deletion's control event cannot reach c2, so c2 must forget its cache when its link is back.
    const c2 = b.nodes[1]!;
    assert.equal((await b.api('POST', '/channels', { channel: 'gone', type: 'open', kind: 'ephemeral' })).status, 201);
    const publishOnC2 = async (n: number) => {
      const c = new RawClient(c2.wsUrl);
      c.autoPong = true;
      try {
        await c.open();
        assert.ok((await c.call('connect', { token: tokens[0]! })).connect);
        return await c.call('publish', { channel: 'gone', data: { n } });
      } finally {
        c.close();
      }
    };
    assert.ok((await publishOnC2(1)).publish);
    try {
      await underLoad(async () => {
        downAt = Date.now();
        await proxy.down();
        await sleep(300);
        // The row goes from PostgreSQL; the call then fails on Redis (no matter here).
        await b.api('DELETE', '/channels/gone');
        await sleep(2200);
        upAt = Date.now();
        await proxy.up();
        // Each node, once its broker link is back, asks its clients to reconnect (3011) and recover.
        await until('every member to get 3011 and reconnect', () => members.every((m) => !m.reconnecting && m.closes.some((c) => c.code === 3011 && c.at >= upAt)), 15_000, 50);
      });
    } finally {
      members.forEach((m, i) => (m.pick = viaSession[i]!));
    }
    // Give the nodes ~300 ms to notice the lost link; after that every publish must be answered, fast, with an error.
    const during = members.flatMap((m) => m.refused.filter((r) => r.at >= downAt + 300 && r.at < upAt));
    assert.ok(during.length > 20, `publishes refused during the outage: ${during.length}`);
    for (const r of during) {
      assert.ok(r.code === 503 || (r.code >= 100 && r.code < 200 && r.temporary), `clear temporary error, got ${JSON.stringify(r)}`);
      assert.ok(r.ms < 3000, `refused within 3 s, took ${r.ms} ms`);
    }
    const hung = members.flatMap((m) => m.unknown.filter((u) => u.at >= downAt && u.at < upAt && u.why.startsWith('timeout')));
    assert.deepEqual(hung, [], 'no publish goes unanswered during the outage');
    const ackedDuring = members.flatMap((m) => m.acked.filter((a) => a.at >= downAt + 300 && a.at < upAt));
    assert.deepEqual(ackedDuring, [], 'nothing is acknowledged while the broker is unreachable');
    // After recovery: acknowledged again, and (checked by underLoad) delivered to members on every node.
    assert.ok(members.every((m) => m.acked.some((a) => a.at > upAt)), 'every member publishes successfully after Redis returns');
    for (const m of members) for (const r of m.recoveries) assert.equal(r.recovered, true, `${m.name} recovered on ${r.node}`);
    t.diagnostic(`after the outage: ${members.map((m) => `${m.name}@${m.nodeId} recovered ${m.recoveries.map((r) => r.count).join('+')}`).join(', ')}`);
    members.forEach((m, i) => assert.equal(m.nodeId, b.nodes[i % 3]!.id, `${m.name} is back on its own node`));
    assert.equal((await b.api('GET', '/channels/gone')).status, 404, 'the channel was deleted during the outage');
    const late = await publishOnC2(2);
    assert.equal(late.error?.code, 102, `c2 forgot the channel deleted while its link was down: ${JSON.stringify(late)}`);
  });

  await t.test('kill -9 of a channel server: its clients reconnect elsewhere and recover every message', async () => {
    const victim = busiest([...live]);
    let killedAt = 0;
    const moved = members.filter((m) => m.nodeId === victim.id);
    await underLoad(async () => {
      killedAt = Date.now();
      await b.cluster.kill(victim);
      live.delete(victim);
      await reconnectedAway(victim.id, moved);
    });
    assert.ok(moved.length > 0, `${victim.id} had clients`);
    for (const m of moved) {
      assert.equal(m.closes.find((c) => c.node === victim.id && c.at >= killedAt)!.code, 1006, 'abnormal closure: the node just vanished');
      assert.ok(live.has(b.nodes.find((n) => n.id === m.nodeId)!), `${m.name} is on a live node (${m.nodeId})`);
      const rec = m.recoveries.at(-1)!;
      assert.equal(rec.recovered, true, `${m.name} recovered`);
    }
  });

  await t.test('SIGTERM of a channel server: exit 0, clients closed with 3001, reconnect and recover', async () => {
    const victim = busiest([...live]);
    let stoppedAt = 0;
    let code: number | null = -1;
    const moved = members.filter((m) => m.nodeId === victim.id);
    await underLoad(async () => {
      stoppedAt = Date.now();
      code = await b.cluster.terminate(victim);
      live.delete(victim);
      await reconnectedAway(victim.id, moved);
    });
    assert.equal(code, 0, 'graceful shutdown exits 0');
    assert.ok(moved.length > 0, `${victim.id} had clients`);
    for (const m of moved) {
      assert.equal(m.closes.find((c) => c.node === victim.id && c.at >= stoppedAt)!.code, 3001, `${m.name} closed with 3001 shutdown`);
      assert.ok(live.has(b.nodes.find((n) => n.id === m.nodeId)!), `${m.name} is on a live node (${m.nodeId})`);
      assert.equal(m.recoveries.at(-1)!.recovered, true, `${m.name} recovered`);
    }
  });
});
