import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../helpers/cluster.ts';
import { requireServices } from '../helpers/services.ts';
import { RawClient } from '../helpers/clients.ts';

async function json(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json() as any };
}

test('cross-node delivery: members on three channel servers get every message once, in order', async (t) => {
  if (!(await requireServices(t, 'postgres', 'redis'))) return;
  const cluster = new TestCluster();
  t.after(() => cluster.stop());
  const session = await cluster.start('session', 's1');
  const nodes = await Promise.all(['c1', 'c2', 'c3'].map((id) => cluster.start('channel', id)));
  const app = (await json('POST', session.url + '/v1/admin/apps', { name: 'c' }, { authorization: `Bearer ${cluster.adminToken}` })).body;
  const api = (m: string, p: string, b?: unknown) => json(m, `${session.url}/v1/apps/${app.id}${p}`, b, { 'x-api-key': app.secret });
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
  const tokens: string[] = [];
  for (const u of users) tokens.push((await api('POST', '/tokens', { user: u })).body.token);
  assert.equal((await api('POST', '/channels', { channel: 'room', members: users })).status, 201);

  // Two members per node.
  const clients: RawClient[] = [];
  for (let i = 0; i < users.length; i++) {
    const c = new RawClient(nodes[i % 3]!.wsUrl);
    c.autoPong = true;
    t.after(() => c.close());
    await c.open();
    const r = await c.call('connect', { token: tokens[i] });
    assert.ok(r.connect, JSON.stringify(r));
    const s = await c.call('subscribe', { channel: 'room' });
    assert.ok(s.subscribe, JSON.stringify(s));
    clients.push(c);
  }
  // Every client publishes 30 messages as fast as it can, all at once: offsets are allocated
  // across nodes by the shared store.
  const per = 30;
  const acks = await Promise.all(clients.map(async (c, i) => {
    const out: number[] = [];
    await Promise.all(Array.from({ length: per }, async (_, k) => {
      const r = await c.call('publish', { channel: 'room', data: { from: i, k } });
      assert.ok(r.publish, JSON.stringify(r));
      out.push(r.publish.offset);
    }));
    return out;
  }));
  const all = acks.flat().sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: per * users.length }, (_, i) => i + 1), 'offsets are gap-free and unique across nodes');
  for (const c of clients) {
    await c.waitFor(() => c.received.filter((m) => m.push?.pub).length >= per * users.length, 10_000).catch(() => undefined);
    const offs = c.received.filter((m) => m.push?.pub).map((m) => m.push.pub.offset);
    assert.deepEqual(offs, all, 'every member receives every message once, in offset order');
  }
  await new Promise((r) => setTimeout(r, 1000)); // counts are refreshed on the registry heartbeat
  const nodesList = (await json('GET', session.url + '/v1/nodes', undefined, { authorization: `Bearer ${cluster.adminToken}` })).body.nodes;
  assert.deepEqual(nodesList.map((n: any) => n.id).sort(), ['c1', 'c2', 'c3']);
  assert.deepEqual(nodesList.map((n: any) => n.connections), [2, 2, 2]);
  // The session server lists every node's connections (it holds none itself).
  const conns = (await api('GET', '/connections')).body.connections;
  assert.deepEqual(conns.map((c: any) => c.user).sort(), users);
  assert.deepEqual([...new Set(conns.map((c: any) => c.node))].sort(), ['c1', 'c2', 'c3']);
});
