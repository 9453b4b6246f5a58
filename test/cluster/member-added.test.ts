import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { XPush, type Message } from '../../src/client/index.ts';
import { bootCluster, until } from './kit.ts';

/**
 * A member added while connected to another channel server gets what is published right after the
 * add, even before their node subscribed to the channel (the session server creates the channel and
 * publishes at once). Found by the container test: 3 in 30 missed with three channel servers.
 */
test('cluster: messages published right after a member is added reach them on another node, in order, once', async (t) => {
  const b = await bootCluster(t);
  if (!b) return;
  const messages: Message[] = [];
  const bob = new XPush({ url: b.session.url, app: b.app.id, websocket: WebSocket, wsUrl: b.nodes[1]!.wsUrl });
  t.after(() => bob.disconnect());
  bob.on('message', (channel, event, data, meta) => messages.push({ channel, event, data, meta }));
  bob.useToken(await b.token('bob'));
  await bob.connect();
  await b.token('alice');
  for (let i = 0; i < 20; i++) {
    const channel = `room${i}`;
    assert.equal((await b.api('POST', '/channels', { channel, members: ['alice', 'bob'] })).status, 201);
    for (const n of [1, 2, 3]) assert.equal((await b.api('POST', '/publish', { channel, data: { n }, sender: 'alice' })).status, 200);
  }
  await until('every message', () => messages.length >= 60, 15_000);
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(messages.filter((m) => m.channel === `room${i}`).map((m) => m.meta.offset), [1, 2, 3], `room${i}`);
  }
});
