import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient, type RawClient } from '../helpers/clients.ts';
import { scrape } from '../helpers/metrics.ts';
import { requireServices, REDIS_URL } from '../helpers/services.ts';
import { waitFor } from './e2e-kit.ts';

async function connected(t: { after(fn: () => unknown): void }, ts: TestServer, app: TestApp, user: string): Promise<RawClient> {
  const token = (await api(ts, app, 'POST', '/tokens', { user })).body.token;
  const c = await rawClient(t, ts.wsUrl);
  assert.ok((await c.call('connect', { token })).connect);
  return c;
}

const pubs = (c: RawClient) => c.received.filter((m) => m.push?.pub).length;

test('metrics count connections, subscriptions, commands, publications, deliveries, store batches, recoveries, disconnects and HTTP requests', async (t) => {
  const ts = await startServer(t, { nodeId: 'm1' });
  const app = await ts.createApp();
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', type: 'open' })).status, 201);

  const subs = [await connected(t, ts, app, 'alice'), await connected(t, ts, app, 'bob'), await connected(t, ts, app, 'carol')];
  for (const c of subs) assert.ok((await c.call('subscribe', { channel: 'room' })).subscribe);
  for (let i = 0; i < 5; i++) assert.ok((await subs[0]!.call('publish', { channel: 'room', data: { i } })).publish);
  await waitFor('5 publications at each subscriber', () => subs.every((c) => pubs(c) === 5));

  let m = await scrape(ts.url);
  assert.equal(m.value('xpush_connections', { app: app.id }), 3);
  assert.equal(m.value('xpush_subscriptions', { app: app.id }), 3);
  assert.equal(m.value('xpush_commands_total', { method: 'connect', code: '0' }), 3);
  assert.equal(m.value('xpush_commands_total', { method: 'subscribe', code: '0' }), 3);
  assert.equal(m.value('xpush_commands_total', { method: 'publish', code: '0' }), 5);
  assert.equal(m.value('xpush_command_duration_seconds_count', { method: 'publish' }), 5);
  assert.ok(m.value('xpush_command_duration_seconds_sum', { method: 'publish' }) > 0);
  assert.equal(m.value('xpush_publications_total'), 5);
  assert.equal(m.value('xpush_deliveries_total'), 15, '5 publications × 3 subscribers');
  const frames = m.value('xpush_delivery_frames_total');
  assert.ok(frames >= 3 && frames <= 15, `frames ${frames}`);
  assert.equal(m.value('xpush_store_batch_size_sum'), 5, 'every publication went through one group-commit batch');
  const batches = m.value('xpush_store_batch_size_count');
  assert.ok(batches >= 1 && batches <= 5);
  assert.equal(m.value('xpush_store_commit_seconds_count'), batches);
  assert.equal(m.value('xpush_broker_publish_seconds_count'), batches);
  assert.equal(m.value('xpush_broker_up'), 1);
  assert.equal(m.value('xpush_info', { version: (await ts.http('GET', '/health')).body.version }), 1);
  // Every sample names its node, the process series (CPU, memory, event loop) too.
  for (const s of m.samples) assert.equal(s.labels.node, 'm1', s.name);
  assert.ok(m.has('process_cpu_seconds_total') && m.has('nodejs_eventloop_lag_seconds'));

  // Errors by code; recoveries by outcome.
  const epoch = (await api(ts, app, 'GET', '/channels/room')).body.epoch as string;
  const d = await connected(t, ts, app, 'dave');
  assert.equal((await d.call('subscribe', { channel: 'nope' })).error.code, 102);
  assert.equal((await d.call('subscribe', { channel: 'room', recover: true, offset: 3, epoch })).subscribe.recovered, true);
  await d.call('unsubscribe', { channel: 'room' });
  assert.equal((await d.call('subscribe', { channel: 'room', recover: true, offset: 3, epoch: 'other' })).subscribe.recovered, false);
  const bad = await rawClient(t, ts.wsUrl);
  await bad.call('connect', { token: 'not-a-token' }).catch(() => undefined);
  assert.equal((await bad.waitClosed()).code, 3500);
  // Disconnects: ours (3500 above), the peer's own code, and unknown codes folded into "other".
  subs[1]!.ws.close(1000);
  subs[2]!.ws.close(4321);
  await waitFor('two disconnects counted', async () => (await scrape(ts.url)).value('xpush_disconnects_total', { code: '1000' }) === 1);
  assert.equal((await ts.http('GET', '/no/such/route')).status, 404);

  m = await scrape(ts.url);
  assert.equal(m.value('xpush_commands_total', { method: 'subscribe', code: '102' }), 1);
  assert.equal(m.value('xpush_commands_total', { method: 'connect', code: '3500' }), 1);
  assert.equal(m.value('xpush_recoveries_total', { recovered: 'true' }), 1);
  assert.equal(m.value('xpush_recoveries_total', { recovered: 'false' }), 1);
  assert.equal(m.value('xpush_disconnects_total', { code: '3500' }), 1);
  assert.equal(m.value('xpush_disconnects_total', { code: 'other' }), 1);
  assert.equal(m.value('xpush_connections', { app: app.id }), 2, 'alice and dave remain');
  assert.equal(m.value('xpush_subscriptions', { app: app.id }), 2);
  assert.equal(m.value('xpush_http_requests_total', { method: 'POST', route: '/v1/apps/:app/channels', status: '201' }), 1);
  assert.equal(m.value('xpush_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }), 1);
  assert.equal(m.value('xpush_http_request_duration_seconds_count', { method: 'POST', route: '/v1/apps/:app/tokens' }), 4);
});

test('a slow consumer cut off (3008) is counted; delivery queues registered by features report their depth', async (t) => {
  const ts = await startServer(t, { maxWriteBufferBytes: 256 * 1024, maxReplyBytes: 64 * 1024 });
  let pushDepth = 7;
  ts.server.metrics.registerQueue('push', () => pushDepth);
  assert.throws(() => ts.server.metrics.registerQueue('push', () => 0), /already registered/);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'big', type: 'open' });
  const paused = await connected(t, ts, app, 'slow');
  await paused.call('subscribe', { channel: 'big' });
  paused.ws.pause();
  // Enough to fill the kernel's socket buffers first, then maxWriteBufferBytes.
  const blob = 'z'.repeat(60_000);
  for (let i = 0; i < 400 && ts.server.connections(app.id).length > 0; i++) await api(ts, app, 'POST', '/publish', { channel: 'big', data: { i, blob } });
  paused.ws.resume();
  assert.equal((await paused.waitClosed(5000)).code, 3008);

  let m = await scrape(ts.url);
  assert.equal(m.value('xpush_slow_consumer_disconnects_total'), 1);
  assert.equal(m.value('xpush_disconnects_total', { code: '3008' }), 1);
  assert.equal(m.value('xpush_queue_depth', { queue: 'push' }), 7);
  pushDepth = 2;
  m = await scrape(ts.url);
  assert.equal(m.value('xpush_queue_depth', { queue: 'push' }), 2, 'read at scrape time');
});

test('Redis broker: receive lag is measured for events this node published (self) and for another node\'s (peer)', async (t) => {
  if (!(await requireServices(t, 'redis'))) return;
  const broker = { kind: 'redis' as const, url: REDIS_URL, prefix: `xpm${randomBytes(4).toString('hex')}:` };
  const a = await startServer(t, { nodeId: 'a', broker });
  const b = await startServer(t, { nodeId: 'b', broker });
  const app = await a.createApp();
  await api(a, app, 'POST', '/channels', { channel: 'room', type: 'open' });
  const c = await connected(t, a, app, 'alice');
  await c.call('subscribe', { channel: 'room' });
  for (let i = 0; i < 3; i++) await api(a, app, 'POST', '/publish', { channel: 'room', data: { i } });
  await waitFor('3 publications', () => pubs(c) === 3);
  // An app deleted on a reaches b on the control topic every node listens to: a peer event for b.
  assert.equal((await a.http('DELETE', `/v1/admin/apps/${app.id}`, undefined, { authorization: `Bearer ${a.adminToken}` })).status, 200);

  const ma = await scrape(a.url);
  assert.ok(ma.value('xpush_broker_receive_lag_seconds_count', { source: 'self' }) >= 3);
  assert.ok(ma.value('xpush_broker_receive_lag_seconds_sum', { source: 'self' }) < 3, 'lags are seconds, not micro- or milliseconds');
  const mb = await waitFor('peer lag on b', async () => {
    const s = await scrape(b.url);
    return s.value('xpush_broker_receive_lag_seconds_count', { source: 'peer' }) >= 1 ? s : undefined;
  });
  assert.equal(mb.value('xpush_broker_receive_lag_seconds_count', { source: 'self' }), 0, 'b published nothing');
});

test('commands refused before running (rate limit) and group-commit batches the store refuses are counted', async (t) => {
  const ts = await startServer(t, { maxCommandsPerSecond: 1 });
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'room', type: 'open' });
  const c = await connected(t, ts, app, 'alice');
  // Burst = 2 × the rate: of these five, the first ones pass and the rest get 111 at once.
  const replies = await Promise.all(Array.from({ length: 5 }, () => c.call('history', { channel: 'room', limit: 1 })));
  const limited = replies.filter((r) => r.error?.code === 111).length;
  assert.ok(limited >= 2, JSON.stringify(replies));
  let m = await scrape(ts.url);
  assert.equal(m.value('xpush_commands_total', { method: 'history', code: '111' }), limited);
  assert.equal(m.value('xpush_command_duration_seconds_count', { method: 'history' }), 5 - limited, 'refused commands are counted, not timed');

  // The store goes away under the server: the batch fails, its publish is answered with error 100.
  await ts.server.core.store.close();
  const r = await api(ts, app, 'POST', '/publish', { channel: 'room', data: {} });
  assert.equal(r.body.error.code, 100);
  m = await scrape(ts.url);
  assert.equal(m.value('xpush_store_commit_failures_total'), 1);
  assert.equal(m.value('xpush_publications_total'), 0);
});
