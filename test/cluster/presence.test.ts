import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootCluster, Member, sleep, until } from './kit.ts';

const PRESENCE_TTL_MS = 3000; // TestCluster's presenceTtlMs

test('presence is cluster-wide and survives the loss of a node', async (t) => {
  const b = await bootCluster(t);
  if (!b) return;
  const { nodes } = b;
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u1']; // u1 twice: two devices, on c1 and c3
  const tokens: string[] = [];
  for (const [i, u] of users.entries()) tokens.push(await b.token(u, `dev${i}`)); // also creates the users
  const tokenU6 = await b.token('u6', 'dev6');
  const created = await b.api('POST', '/channels', { channel: 'room', members: ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'] });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  // Two members per node, all with join_leave. Nothing here reconnects: a closed socket stays closed.
  const members: Member[] = [];
  for (let i = 0; i < users.length; i++) {
    const m = new Member(`m${i}`, tokens[i]!, 'room', () => Promise.reject(new Error('no reconnect in this test')), true);
    t.after(() => m.stop());
    m.stopped = true; // no auto-reconnect
    await m.connectTo({ id: nodes[i % 3]!.id, url: nodes[i % 3]!.wsUrl });
    members.push(m);
  }
  const ids = members.map((m) => m.clientId).sort();
  const presenceOn = async (m: Member) => {
    const r = await m.conn!.call('presence', { channel: 'room' });
    assert.ok(r.presence, JSON.stringify(r));
    return r.presence.presence as Record<string, { user: string; client: string; conn_info: { device: string } }>;
  };
  const apiPresence = async () => {
    const r = await b.api('GET', '/channels/room/presence');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.presence as Record<string, { user: string; client: string; device: string }>;
  };

  await t.test('every node lists the clients of all three nodes; so does the server API on the session node', async () => {
    // Presence entries are written right after each subscribe reply.
    await until('6 presence entries', async () => Object.keys(await apiPresence()).length === 6, 3000);
    for (const m of members.slice(0, 3)) { // one per node
      const p = await presenceOn(m);
      assert.deepEqual(Object.keys(p).sort(), ids, `presence seen from ${m.nodeId}`);
      for (const [i, o] of members.entries()) {
        assert.deepEqual(p[o.clientId], { user: users[i], client: o.clientId, conn_info: { device: `dev${i}` } });
      }
      const s = await m.conn!.call('presence_stats', { channel: 'room' });
      assert.deepEqual(s.presence_stats, { num_clients: 6, num_users: 5 });
    }
    const viaApi = await apiPresence();
    assert.deepEqual(Object.keys(viaApi).sort(), ids);
    assert.deepEqual(viaApi[members[5]!.clientId], { user: 'u1', client: members[5]!.clientId, device: 'dev5' });
  });

  await t.test('join and leave pushes cross nodes, once each', async () => {
    const joiner = new Member('m6', tokenU6, 'room', () => Promise.reject(new Error('no reconnect')), true);
    t.after(() => joiner.stop());
    joiner.stopped = true;
    await joiner.connectTo({ id: 'c3', url: nodes[2]!.wsUrl });
    const watchers = members.slice(0, 2); // on c1 and c2
    await until('join pushes on c1 and c2', () => watchers.every((w) => w.joins.includes(joiner.clientId)), 3000);
    assert.equal((await joiner.conn!.call('unsubscribe', { channel: 'room' })).unsubscribe !== undefined, true);
    await until('leave pushes on c1 and c2', () => watchers.every((w) => w.leaves.includes(joiner.clientId)), 3000);
    await sleep(300);
    for (const w of members) {
      assert.equal(w.joins.filter((c) => c === joiner.clientId).length, 1, `${w.name} (${w.nodeId}) join count`);
      assert.equal(w.leaves.filter((c) => c === joiner.clientId).length, 1, `${w.name} (${w.nodeId}) leave count`);
    }
    assert.ok(!(joiner.clientId in (await apiPresence())), 'the leaver is gone from presence');
  });

  await t.test('kill -9 of a node: its entries lapse within presenceTtlMs and survivors get one leave each', async () => {
    const dead = members.filter((m) => m.nodeId === 'c3');
    const alive = members.filter((m) => m.nodeId !== 'c3');
    assert.equal(dead.length, 2);
    const deadIds = new Set(dead.map((m) => m.clientId));
    const killedAt = Date.now();
    await b.cluster.kill(nodes[2]!);
    for (const m of alive) { // from c1 and c2
      await until(`c3's entries to vanish (seen from ${m.nodeId})`, async () => !Object.keys(await presenceOn(m)).some((id) => deadIds.has(id)), PRESENCE_TTL_MS + 2000, 100);
    }
    const vanished = Date.now() - killedAt;
    assert.ok(vanished <= PRESENCE_TTL_MS + 1500, `entries vanished after ${vanished} ms`);
    assert.deepEqual(Object.keys(await apiPresence()).sort(), alive.map((m) => m.clientId).sort());
    assert.deepEqual((await alive[0]!.conn!.call('presence_stats', { channel: 'room' })).presence_stats, { num_clients: 4, num_users: 4 });

    await until('leave pushes for both dead clients on every survivor', () => alive.every((m) => [...deadIds].every((id) => m.leaves.includes(id))), PRESENCE_TTL_MS + 3000, 100);
    const left = Date.now() - killedAt;
    assert.ok(left <= PRESENCE_TTL_MS + 2500, `leaves arrived after ${left} ms`);
    // Several nodes run the expiry sweep: give them a few more rounds to (wrongly) announce again.
    await sleep(PRESENCE_TTL_MS / 3 * 2 + 300);
    for (const m of alive) {
      for (const id of deadIds) assert.equal(m.leaves.filter((c) => c === id).length, 1, `${m.name} on ${m.nodeId}: leaves for ${id}`);
      // Survivors are not announced as leaving.
      assert.ok(!m.leaves.some((id) => alive.some((a) => a.clientId === id)), `${m.name} saw a leave of a live client`);
    }
  });
});
