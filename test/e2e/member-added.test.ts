// A user added to a channel gets every message published from that moment on, even one published
// before their connection's node has subscribed (found by the container test: 3 in 30 on a cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { api } from '../helpers/clients.ts';
import { loggedIn, waitFor } from './sdk-kit.ts';

test('messages published right after a member is added reach them, in order, once (20 channels, XPush SDK)', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const bob = await loggedIn(t, ts, app, 'bob', 'phone');
  await api(ts, app, 'POST', '/tokens', { user: 'alice' });
  for (let i = 0; i < 20; i++) {
    const channel = `room${i}`;
    // Created with bob as a member, then published to at once: no waiting for bob's subscription.
    const made = api(ts, app, 'POST', '/channels', { channel, members: ['alice', 'bob'] });
    assert.equal((await made).status, 201);
    await Promise.all([1, 2, 3].map((n) => api(ts, app, 'POST', '/publish', { channel, data: { n }, sender: 'alice' })));
  }
  // Added to an existing channel (not at creation) with messages before and right after the add.
  await api(ts, app, 'POST', '/channels', { channel: 'late', members: ['alice'] });
  await api(ts, app, 'POST', '/publish', { channel: 'late', data: { n: 0 } });
  await api(ts, app, 'POST', '/channels/late/members', { users: ['bob'] });
  await api(ts, app, 'POST', '/publish', { channel: 'late', data: { n: 1 } });
  await waitFor('every message', () => bob.messages.length === 20 * 3 + 1, 10_000);
  for (let i = 0; i < 20; i++) {
    const offsets = bob.messages.filter((m) => m.channel === `room${i}`).map((m) => m.meta.offset);
    assert.deepEqual(offsets, [1, 2, 3], `room${i}`);
  }
  assert.deepEqual(bob.messages.filter((m) => m.channel === 'late').map((m) => m.data), [{ n: 1 }], 'from the add on: not what came before it');
});
