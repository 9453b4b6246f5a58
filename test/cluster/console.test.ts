import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootCluster, json, until } from './kit.ts';
import { connectSdk } from '../e2e/e2e-kit.ts';
import { SseReader } from '../helpers/sse.ts';

test('cluster: a disconnect order on the session server reaches the node holding the connection; the watch stream there sees publications made on any node; the ring', async (t) => {
  const b = await bootCluster(t);
  if (!b) return;
  const [c1, c2, c3] = b.nodes;
  const created = await b.api('POST', '/channels', { channel: 'room', members: [] });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  const onC2 = await connectSdk(t, c2!.wsUrl, await b.token('alice', 'phone'), { minReconnectDelay: 50, maxReconnectDelay: 100 });
  const onC3 = await connectSdk(t, c3!.wsUrl, await b.token('bob', 'phone'));
  await b.api('POST', '/channels/room/members', { users: ['alice', 'bob'] });
  const drops: { code: number; reason: string }[] = [];
  onC2.c.on('disconnected', (d) => drops.push({ code: d.code, reason: d.reason }));

  await t.test('GET /connections on the session server lists both nodes; the disconnect order closes alice on c2 only', async () => {
    await until('both connections listed', async () => (await b.api('GET', '/connections')).body.connections.length === 2);
    const list = (await b.api('GET', '/connections')).body.connections as { client: string; node: string; user: string }[];
    assert.deepEqual(list.map((c) => `${c.user}@${c.node}`).sort(), ['alice@c2', 'bob@c3']);
    const r = await b.api('POST', '/disconnect', { user: 'alice', reason: 'cluster kick' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.matched, 1);
    await until('alice dropped', () => drops.length > 0);
    assert.deepEqual(drops, [{ code: 3503, reason: 'cluster kick' }]);
    assert.equal(onC3.c.state, 'connected');
  });

  await t.test('a watch stream on the session server receives a publication made on c3', async () => {
    const w = await SseReader.open(`${b.session.url}/v1/apps/${b.app.id}/channels/room/watch`, { 'x-api-key': b.app.secret });
    t.after(() => w.close());
    assert.equal(w.status, 200);
    await until('ready', () => w.named('ready'));
    const ack = await onC3.c.rpc('publish', { channel: 'room', data: { text: 'from c3' } });
    await until('publication on the session server', () => w.pubs.length > 0);
    assert.equal(w.pubs[0].offset, ack.data.offset);
    assert.deepEqual(w.pubs[0].data, { text: 'from c3' });
    assert.equal(w.pubs[0].info.user, 'bob');
  });

  await t.test('GET /v1/admin/ring on the session server: the three channel nodes, shares summing to 1', async () => {
    // The ring follows the registry's heartbeats (TTL 2 s here): on a machine loaded by the rest of the
    // suite a node can miss one and drop out for a moment, so wait for all three rather than read once.
    const want = [c1!.id, c2!.id, c3!.id].join(',');
    const r = await until('the three channel nodes in the ring', async () => {
      const got = await json('GET', `${b.session.url}/v1/admin/ring`, undefined, { authorization: `Bearer ${b.cluster.adminToken}` });
      assert.equal(got.status, 200);
      return got.body.nodes.map((n: { id: string }) => n.id).join(',') === want ? got : undefined;
    }, 10_000);
    const sum = r.body.nodes.reduce((a: number, n: { share: number }) => a + n.share, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9);
    for (const n of r.body.nodes) assert.ok(n.share > 0.15 && n.share < 0.5, `${n.id}: ${n.share}`);
  });
});
