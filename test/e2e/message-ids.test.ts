// Issue 8, item 10: client message ids are deduplicated per (channel, sender), so one user cannot
// publish another's next id first and make the victim's message vanish behind the squatter's ack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient, type RawClient } from '../helpers/clients.ts';
import { waitFor } from './e2e-kit.ts';

async function as(t: Parameters<typeof rawClient>[0], ts: TestServer, app: TestApp, user: string): Promise<RawClient> {
  const tok = await api(ts, app, 'POST', '/tokens', { user });
  const c = await rawClient(t, ts.wsUrl);
  assert.ok((await c.call('connect', { token: tok.body.token })).connect);
  assert.ok((await c.call('subscribe', { channel: 'room' })).subscribe);
  return c;
}

const publish = async (c: RawClient, id: string, text: string) => (await c.call('rpc', { method: 'publish', data: { channel: 'room', data: { text }, id } })).rpc?.data;

test("a squatter publishing the victim's next message id first does not swallow the victim's message", async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  for (const u of ['victim', 'squatter', 'reader']) await api(ts, app, 'POST', '/tokens', { user: u });
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['victim', 'squatter', 'reader'] })).status, 201);
  const victim = await as(t, ts, app, 'victim');
  const squatter = await as(t, ts, app, 'squatter');
  const reader = await as(t, ts, app, 'reader');

  const squat = await publish(squatter, 'victim-msg-7', 'spoofed');
  const real = await publish(victim, 'victim-msg-7', 'the real one');
  assert.equal(squat.offset, 1);
  assert.equal(real.offset, 2, `the victim got the squatter's ack: ${JSON.stringify(real)}`);
  // Retries still deduplicate, each within its own sender's ids.
  assert.deepEqual(await publish(victim, 'victim-msg-7', 'retry'), real);
  assert.deepEqual(await publish(squatter, 'victim-msg-7', 'retry'), squat);

  // Both messages are stored and delivered once, each with its own sender.
  const h = await api(ts, app, 'GET', '/channels/room/history');
  assert.deepEqual(h.body.publications.map((p: any) => [p.offset, p.info.user, p.data.text]), [[1, 'squatter', 'spoofed'], [2, 'victim', 'the real one']]);
  await waitFor('both publications at the reader', () => reader.received.filter((m) => m.push?.pub).length >= 2);
  // The retries above were answered after their lookups: had they stored anything it would be here by now.
  assert.deepEqual(reader.received.filter((m) => m.push?.pub).map((m) => [m.push.pub.offset, m.push.pub.data.text]), [[1, 'spoofed'], [2, 'the real one']]);
});
