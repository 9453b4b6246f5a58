// The runnable example (examples/chat-bot): its custom command, its profanity-filter hook and its extra route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublicationContext } from 'centrifuge';
import { startExample } from '../../examples/chat-bot/server.ts';
import { api, sdkClient, userSession } from '../helpers/clients.ts';
import { startBuilt, testConfig, waitFor } from './e2e-kit.ts';

test('the chat-bot example: bot.roll command, profanity filter on publish, /bot/stats route', { timeout: 20_000 }, async (t) => {
  const cfg = testConfig();
  const server = await startExample(cfg);
  const ts = await startBuilt(t, server, cfg.dataDir); // already started: startBuilt only wraps it
  const app = await ts.createApp();
  const alice = await userSession(ts, app, 'alice');
  const bob = await userSession(ts, app, 'bob');
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'] });
  const a = await sdkClient(t, ts.wsUrl, alice.accessToken);
  const b = await sdkClient(t, ts.wsUrl, bob.accessToken);
  const sub = b.newSubscription('room');
  const got: PublicationContext[] = [];
  sub.on('publication', (p) => got.push(p));
  sub.subscribe();
  await sub.ready(2000);

  // The custom command, with the caller's identity.
  const roll = await a.rpc('bot.roll', { sides: 12 });
  assert.equal(roll.data.user, 'alice');
  assert.equal(roll.data.sides, 12);
  assert.ok(Number.isInteger(roll.data.value) && roll.data.value >= 1 && roll.data.value <= 12);
  assert.equal((await a.rpc('bot.roll', {})).data.sides, 6);
  await assert.rejects(a.rpc('bot.roll', { sides: 1 }), (e: any) => e.code === 107 && /sides/.test(e.message));

  // The hook: masks, passes clean messages untouched, rejects pure profanity (nothing stored).
  await a.rpc('publish', { channel: 'room', event: 'chat', data: { text: 'well, darn it' } });
  await a.rpc('publish', { channel: 'room', event: 'chat', data: { text: 'hello bob' } });
  await assert.rejects(a.rpc('publish', { channel: 'room', event: 'chat', data: { text: 'HECK!' } }), (e: any) => e.code === 4001);
  const viaApi = await api(ts, app, 'POST', '/publish', { channel: 'room', data: { text: 'rats' } });
  assert.equal(viaApi.body.error.code, 4001, 'the server API goes through the same hook');
  await waitFor('2 publications', () => got.length >= 2);
  assert.deepEqual(got.map((p) => p.data), [{ text: 'well, **** it', filtered: true }, { text: 'hello bob' }]);
  assert.deepEqual(got.map((p) => p.offset), [1, 2]);
  const hist = await api(ts, app, 'GET', '/channels/room/history');
  assert.deepEqual(hist.body.publications.map((p: any) => p.data.text), ['well, **** it', 'hello bob']);

  // The extra route.
  const stats = await ts.http('GET', '/bot/stats');
  assert.equal(stats.status, 200);
  assert.deepEqual(stats.body, { rolls: 2, masked: 1, rejected: 2, connections: 2 });
});
