// Item 5 — messages: delivery once and in order to every member device, the publication's fields,
// acknowledgement only after storage, concurrency, idempotent publish, size limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient, type RawClient } from '../helpers/clients.ts';

type T = Parameters<typeof rawClient>[0];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function as(t: T, ts: TestServer, app: TestApp, user: string, device = 'dev-' + user): Promise<RawClient> {
  const tok = await api(ts, app, 'POST', '/tokens', { user, device });
  assert.equal(tok.status, 200, JSON.stringify(tok.body));
  const c = await rawClient(t, ts.wsUrl);
  const r = await c.call('connect', { token: tok.body.token });
  assert.ok(r.connect, JSON.stringify(r));
  return c;
}

async function subscribed(c: RawClient, channel: string): Promise<void> {
  const r = await c.call('subscribe', { channel });
  assert.ok(r.subscribe, JSON.stringify(r));
}

const pubsOf = (c: RawClient, channel: string) => c.received.filter((m) => m.push?.pub && m.push.channel === channel).map((m) => m.push.pub);

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await sleep(10);
  }
}

/** Sends commands without waiting; resolves with the replies by id. */
function pipeline(c: RawClient, cmds: { id: number; [k: string]: unknown }[]): Promise<any[]> {
  c.sendRaw(cmds.map((x) => JSON.stringify(x)).join('\n'));
  return Promise.all(cmds.map((x) => c.waitFor((m) => m.id === x.id, 5000)));
}

test('every connected member device receives each message once, in order, with all its fields', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/tokens', { user: 'eve' });
  await api(ts, app, 'POST', '/tokens', { user: 'bob' });
  await api(ts, app, 'POST', '/tokens', { user: 'alice' });
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'] })).status, 201);
  const alicePhone = await as(t, ts, app, 'alice', 'phone');
  const bobPhone = await as(t, ts, app, 'bob', 'phone');
  const bobLaptop = await as(t, ts, app, 'bob', 'laptop');
  const eve = await as(t, ts, app, 'eve');
  for (const c of [alicePhone, bobPhone, bobLaptop]) await subscribed(c, 'room');

  const before = Date.now();
  const acks: any[] = [];
  for (let i = 1; i <= 20; i++) {
    const r = await alicePhone.call('rpc', { method: 'publish', data: { channel: 'room', event: i % 2 ? 'chat' : 'typing', data: { n: i } } });
    assert.ok(r.rpc, JSON.stringify(r));
    acks.push(r.rpc.data);
  }
  assert.deepEqual(acks.map((a) => a.offset), Array.from({ length: 20 }, (_, i) => i + 1));
  for (const a of acks) {
    assert.equal(a.channel, 'room');
    assert.equal(typeof a.epoch, 'string');
    assert.equal(typeof a.id, 'string');
  }
  assert.equal(new Set(acks.map((a) => a.id)).size, 20, 'message ids are unique');

  for (const c of [alicePhone, bobPhone, bobLaptop]) await until('20 pubs', () => pubsOf(c, 'room').length >= 20);
  await sleep(100); // a duplicate would show up now
  for (const c of [alicePhone, bobPhone, bobLaptop]) {
    const pubs = pubsOf(c, 'room');
    assert.deepEqual(pubs.map((p) => p.offset), acks.map((a) => a.offset), 'once each, in order');
    pubs.forEach((p, i) => {
      assert.deepEqual(p.data, { n: i + 1 });
      assert.equal(p.tags.id, acks[i].id);
      assert.equal(p.tags.event, i % 2 ? 'typing' : 'chat');
      assert.equal(p.info.user, 'alice');
      assert.deepEqual(p.info.conn_info, { device: 'phone' });
      assert.equal(typeof p.info.client, 'string');
      assert.equal(p.time, acks[i].time);
      assert.ok(p.time >= before - 1000 && p.time <= Date.now() + 1000, `time ${p.time}`);
    });
  }
  assert.deepEqual(pubsOf(eve, 'room'), [], 'a non-member receives nothing');

  // Native publish and the server API deliver the same way (event "message" / the backend as sender).
  const native = await bobLaptop.call('publish', { channel: 'room', data: 'native' });
  assert.deepEqual(Object.keys(native.publish).sort(), ['epoch', 'id', 'offset']);
  assert.equal(native.publish.offset, 21);
  const viaApi = await api(ts, app, 'POST', '/publish', { channel: 'room', event: 'notice', data: { sys: true }, sender: 'bob' });
  assert.equal(viaApi.status, 200, JSON.stringify(viaApi.body));
  assert.equal(viaApi.body.offset, 22);
  await until('22 pubs', () => pubsOf(alicePhone, 'room').length >= 22);
  const [n, s] = pubsOf(alicePhone, 'room').slice(20);
  assert.equal(n.tags.event, 'message');
  assert.deepEqual(n.info.conn_info, { device: 'laptop' });
  assert.equal(s.tags.event, 'notice');
  assert.equal(s.info.user, 'bob');
});

test('the ack comes only after the message is stored: it survives a restart on the same data dir', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/tokens', { user: 'alice' });
  await api(ts, app, 'POST', '/channels', { channel: 'log', members: ['alice'] });
  const c = await as(t, ts, app, 'alice');
  const acks = await pipeline(c, Array.from({ length: 30 }, (_, i) => ({ id: i + 1, rpc: { method: 'publish', data: { channel: 'log', event: 'e', data: i + 1 } } })));
  const last = acks.at(-1).rpc.data;
  assert.equal(last.offset, 30);

  // At ack time the rows are committed: another connection to the file already sees them.
  const db = new Database(path.join(ts.dataDir, 'xpush.db'), { readonly: true, fileMustExist: true });
  const rows = db.prepare('SELECT msg_offset, id FROM messages WHERE app_id = ? AND channel = ? ORDER BY msg_offset').all(app.id, 'log') as { msg_offset: number; id: string }[];
  db.close();
  assert.deepEqual(rows.map((r) => r.msg_offset), Array.from({ length: 30 }, (_, i) => i + 1));
  assert.equal(rows.at(-1)!.id, last.id);

  await ts.server.close();
  const again = await startServer(t, { dataDir: ts.dataDir });
  const h = await api(again, app, 'GET', '/channels/log/history?limit=100');
  assert.equal(h.status, 200, JSON.stringify(h.body));
  assert.equal(h.body.offset, 30);
  assert.equal(h.body.epoch, last.epoch, 'same stream after restart');
  assert.deepEqual(h.body.publications.map((p: { data: number }) => p.data), Array.from({ length: 30 }, (_, i) => i + 1));
  assert.equal(h.body.publications.at(-1).tags.id, last.id);
  // Offsets continue after the restart.
  const c2 = await as(t, again, app, 'alice');
  assert.equal((await c2.call('publish', { channel: 'log', data: 'after' })).publish.offset, 31);
});

test('200 messages from 3 concurrent publishers: every receiver gets all, strictly increasing, no gaps or duplicates', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const users = ['p1', 'p2', 'p3', 'r1', 'r2'];
  for (const u of users) await api(ts, app, 'POST', '/tokens', { user: u });
  await api(ts, app, 'POST', '/channels', { channel: 'busy', members: users });
  const clients = await Promise.all(users.map((u) => as(t, ts, app, u)));
  for (const c of clients) await subscribed(c, 'busy');
  const publishers = clients.slice(0, 3);

  const counts = [67, 67, 66];
  const all = await Promise.all(publishers.map((c, p) => pipeline(c, Array.from({ length: counts[p]! }, (_, i) => ({
    id: 100 + i, rpc: { method: 'publish', data: { channel: 'busy', event: 'n', data: { p, i } } },
  })))));
  const ackOffsets = all.flat().map((r) => {
    assert.ok(r.rpc, JSON.stringify(r));
    return r.rpc.data.offset as number;
  });
  assert.deepEqual([...ackOffsets].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1), 'acks: every offset once');
  // Each publisher's own messages got increasing offsets in the order it sent them.
  for (const replies of all) {
    const offs = replies.map((r) => r.rpc.data.offset);
    assert.deepEqual(offs, [...offs].sort((a, b) => a - b));
  }

  for (const c of clients) await until('200 pubs', () => pubsOf(c, 'busy').length >= 200, 5000);
  await sleep(100);
  for (const c of clients) {
    const pubs = pubsOf(c, 'busy');
    assert.deepEqual(pubs.map((x) => x.offset), Array.from({ length: 200 }, (_, i) => i + 1));
    for (let p = 0; p < 3; p++) {
      const mine = pubs.filter((x) => x.data.p === p).map((x) => x.data.i);
      assert.deepEqual(mine, Array.from({ length: counts[p]! }, (_, i) => i), `publisher ${p} order`);
    }
  }
});

test('a connection\'s publishes are stored in the order sent, also when one must wait and the next could go at once', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  for (const u of ['alice', 'bob']) await api(ts, app, 'POST', '/tokens', { user: u });
  for (const ch of ['checked', 'known']) await api(ts, app, 'POST', '/channels', { channel: ch, members: ['alice', 'bob'] });
  const alice = await as(t, ts, app, 'alice');
  const bob = await as(t, ts, app, 'bob');
  for (const ch of ['checked', 'known']) await subscribed(bob, ch);
  // alice is subscribed to `known` only: a publish there needs no wait (live subscription, cached
  // channel), while one to `checked` waits for the membership check in the store.
  await subscribed(alice, 'known');
  for (let round = 0; round < 5; round++) {
    const replies = await pipeline(alice, [
      { id: 1000 + 10 * round + 1, publish: { channel: 'checked', data: { round, n: 1 } } },
      { id: 1000 + 10 * round + 2, publish: { channel: 'known', data: { round, n: 2 } } },
    ]);
    for (const r of replies) assert.ok(r.publish, JSON.stringify(r));
  }
  await until('10 pubs', () => pubsOf(bob, 'checked').length + pubsOf(bob, 'known').length >= 10);
  // The observer gets publications in commit order: the waiting publish must have been stored first.
  const seen = bob.received.filter((m) => m.push?.pub).map((m) => `${m.push.pub.data.round}.${m.push.pub.data.n}`);
  assert.deepEqual(seen, [0, 1, 2, 3, 4].flatMap((r) => [`${r}.1`, `${r}.2`]));
});

test('rpc publish with the same id stores and delivers once and answers with the first result', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  for (const u of ['alice', 'bob']) await api(ts, app, 'POST', '/tokens', { user: u });
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'] });
  const alice = await as(t, ts, app, 'alice');
  const bob = await as(t, ts, app, 'bob');
  await subscribed(bob, 'room');

  const msg = { channel: 'room', event: 'chat', data: { text: 'once' }, id: 'client-msg-1' };
  const first = await alice.call('rpc', { method: 'publish', data: msg });
  const second = await alice.call('rpc', { method: 'publish', data: msg });
  assert.equal(first.rpc.data.id, 'client-msg-1');
  assert.deepEqual(second.rpc.data, first.rpc.data);
  // Concurrent retries in one frame (same store batch).
  const both = await pipeline(alice, [
    { id: 50, rpc: { method: 'publish', data: { ...msg, id: 'client-msg-2' } } },
    { id: 51, rpc: { method: 'publish', data: { ...msg, id: 'client-msg-2' } } },
  ]);
  assert.equal(both[0].rpc?.data.offset, 2, JSON.stringify(both));
  assert.equal(both[1].rpc?.data.offset, 2, JSON.stringify(both));
  // Ids belong to the sender (user): a retry from the same user's other device finds the message.
  const laptop = await as(t, ts, app, 'alice', 'laptop');
  const fromLaptop = await laptop.call('rpc', { method: 'publish', data: msg });
  assert.equal(fromLaptop.rpc.data.offset, 1);
  // The server API publishing as alice honours her ids.
  const api1 = await api(ts, app, 'POST', '/publish', { ...msg, id: 'client-msg-2', sender: 'alice' });
  assert.equal(api1.body.offset, 2);

  const h = await api(ts, app, 'GET', '/channels/room/history');
  assert.equal(h.body.offset, 2);
  assert.deepEqual(h.body.publications.map((p: { tags: { id: string } }) => p.tags.id), ['client-msg-1', 'client-msg-2']);
  await sleep(150);
  assert.deepEqual(pubsOf(bob, 'room').map((p) => p.offset), [1, 2], 'delivered once each');
  // A new id is a new message.
  assert.equal((await alice.call('rpc', { method: 'publish', data: { ...msg, id: 'client-msg-3' } })).rpc.data.offset, 3);
});

test('data larger than maxMessageBytes → 106 and nothing stored', async (t) => {
  const ts = await startServer(t, { maxMessageBytes: 1024 });
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/tokens', { user: 'alice' });
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice'] });
  const c = await as(t, ts, app, 'alice');
  await subscribed(c, 'room');
  const exactly = 'x'.repeat(1022); // JSON "…" = 1024 bytes
  const over = 'x'.repeat(1023);

  const big1 = await c.call('publish', { channel: 'room', data: over });
  assert.equal(big1.error?.code, 106, JSON.stringify(big1).slice(0, 200));
  const big2 = await c.call('rpc', { method: 'publish', data: { channel: 'room', data: { text: over } } });
  assert.equal(big2.error?.code, 106);
  const big3 = await api(ts, app, 'POST', '/publish', { channel: 'room', data: over });
  assert.equal(big3.status, 413);
  assert.equal(big3.body.error.code, 106);
  // Multi-byte characters count as bytes, not characters.
  const wide = await c.call('publish', { channel: 'room', data: 'é'.repeat(600) });
  assert.equal(wide.error?.code, 106);

  let h = await api(ts, app, 'GET', '/channels/room/history');
  assert.equal(h.body.offset, 0);
  assert.deepEqual(h.body.publications, []);
  assert.deepEqual(pubsOf(c, 'room'), []);

  const ok = await c.call('publish', { channel: 'room', data: exactly });
  assert.equal(ok.publish?.offset, 1, JSON.stringify(ok).slice(0, 200));
  h = await api(ts, app, 'GET', '/channels/room/history');
  assert.equal(h.body.offset, 1, 'offsets stay gap-free after refused publishes');
});
