import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { userSession, api, sdkClient } from '../helpers/clients.ts';

test('two users chat over the official centrifuge client', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const alice = await userSession(ts, app, 'alice');
  const bob = await userSession(ts, app, 'bob');
  const r = await api(ts, app, 'POST', '/channels', { channel: 'room1', members: ['alice', 'bob'] });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const a = await sdkClient(t, ts.wsUrl, alice.accessToken);
  const b = await sdkClient(t, ts.wsUrl, bob.accessToken);
  const sub = b.newSubscription('room1');
  const got: any[] = [];
  sub.on('publication', (ctx) => got.push(ctx));
  sub.subscribe();
  await sub.ready(2000);
  const ack = await a.rpc('publish', { channel: 'room1', event: 'chat', data: { text: 'hi' } });
  assert.equal(ack.data.offset, 1);
  for (let i = 0; i < 50 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(got.length, 1);
  assert.deepEqual(got[0].data, { text: 'hi' });
  assert.equal(got[0].tags.event, 'chat');
  assert.equal(got[0].info.user, 'alice');
});
