import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootCluster, until } from './kit.ts';
import { RawClient } from '../helpers/clients.ts';

/** Issue 11 item 3 across nodes: ephemeral offsets and cache contents live in Redis, shared by every node. */
test('ephemeral and cache channels across nodes: shared offsets, and a late joiner on another node gets the cached value', async (t) => {
  const b = await bootCluster(t);
  if (!b) return;
  const [c1, c2] = b.nodes;
  assert.equal((await b.api('POST', '/channels', { channel: 'game', type: 'open', kind: 'ephemeral' })).status, 201);
  assert.equal((await b.api('POST', '/channels', { channel: 'ticker', type: 'open', kind: 'cache', cacheSize: 1 })).status, 201);
  const connect = async (url: string, user: string): Promise<RawClient> => {
    const c = new RawClient(url);
    c.autoPong = true;
    t.after(() => c.close());
    await c.open();
    assert.ok((await c.call('connect', { token: await b.token(user) })).connect);
    return c;
  };
  const p1 = await connect(c1!.wsUrl, 'p1');
  const p2 = await connect(c2!.wsUrl, 'p2');
  for (const c of [p1, p2]) assert.ok((await c.call('subscribe', { channel: 'game' })).subscribe);
  // Publishers on both nodes draw from one sequence.
  const acks = await Promise.all([p1, p2].flatMap((c, i) => Array.from({ length: 10 }, async (_, k) => {
    const r = await c.call('publish', { channel: 'game', data: { from: i, k } });
    assert.ok(r.publish, JSON.stringify(r));
    return r.publish.offset as number;
  })));
  assert.deepEqual(acks.sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1));
  for (const c of [p1, p2]) {
    await c.waitFor(() => c.received.filter((m) => m.push?.pub && m.push.channel === 'game').length >= 20, 5000).catch(() => undefined);
    const offs = c.received.filter((m) => m.push?.pub && m.push.channel === 'game').map((m) => m.push.pub.offset).sort((x: number, y: number) => x - y);
    assert.deepEqual(offs, Array.from({ length: 20 }, (_, i) => i + 1), 'every node delivers every publication once');
  }
  // The cache: published through node 1, read by a late joiner on node 2.
  assert.ok((await p1.call('publish', { channel: 'ticker', data: { price: 1 } })).publish);
  assert.ok((await p1.call('publish', { channel: 'ticker', data: { price: 2 } })).publish);
  const late = await connect(c2!.wsUrl, 'late');
  const s = await late.call('subscribe', { channel: 'ticker' });
  assert.deepEqual(s.subscribe.publications.map((p: { data: unknown }) => p.data), [{ price: 2 }], 'the newest value, from Redis');
  const hist = await b.api('GET', '/channels/ticker/history?limit=5');
  assert.deepEqual(hist.body.publications.map((p: { data: unknown }) => p.data), [{ price: 2 }]);
});

/**
 * A channel deleted through one node is forgotten at once by every node's channel cache, also by a
 * node where nobody subscribed to it (so it got no unsubscribe event): a publish there is refused
 * (102) right away, not once the cache entry expires (60 s), and so is a subscribe. Created again, it
 * is served there at once too (that node had cached "no such channel"). Ephemeral, so no store row stands in
 * the way: only the cache decides.
 */
test('a deleted or created channel is known to every node at once, also where nobody subscribed', async (t) => {
  const b = await bootCluster(t);
  if (!b) return;
  const c2 = b.nodes[1]!;
  assert.equal((await b.api('POST', '/channels', { channel: 'gone', type: 'open', kind: 'ephemeral' })).status, 201);
  const p = new RawClient(c2.wsUrl);
  p.autoPong = true;
  t.after(() => p.close());
  await p.open();
  assert.ok((await p.call('connect', { token: await b.token('p') })).connect);
  const first = await p.call('publish', { channel: 'gone', data: { n: 1 } });
  assert.ok(first.publish, JSON.stringify(first));
  assert.equal((await b.api('DELETE', '/channels/gone')).status, 200);
  const refused = await until('node c2 refuses publishing to the deleted channel', async () => {
    const r = await p.call('publish', { channel: 'gone', data: { n: 2 } });
    return r.error ? r.error : undefined;
  }, 3000);
  assert.equal(refused.code, 102, JSON.stringify(refused));
  const sub = await p.call('subscribe', { channel: 'gone' });
  assert.equal(sub.error?.code, 102, JSON.stringify(sub));
  // Node c2 now holds "no such channel": created again through the session server, c2 serves it at once.
  assert.equal((await b.api('POST', '/channels', { channel: 'gone', type: 'open', kind: 'ephemeral' })).status, 201);
  const again = await until('node c2 accepts publishing to the re-created channel', async () => {
    const r = await p.call('publish', { channel: 'gone', data: { n: 3 } });
    return r.publish;
  }, 3000);
  assert.ok(again.epoch);
});
