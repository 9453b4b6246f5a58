// Item 12: XPUSH as a library: custom commands, hooks around built-in operations, plugins, extra HTTP routes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublicationContext } from 'centrifuge';
import { createServer, Errors, XPushError, type Actor, type XPushPlugin } from '../../src/index.ts';
import { api, rawClient, sdkClient } from '../helpers/clients.ts';
import { connectSdk, dataOf, ENCODINGS, payload, sleep, startBuilt, testConfig, tokenFor, waitFor } from './e2e-kit.ts';

for (const enc of ENCODINGS) test(`a custom command is called over rpc with the caller's identity; its return is the ack [${enc}]`, { timeout: 20_000 }, async (t) => {
  const cfg = testConfig();
  const server = await createServer(cfg);
  const calls: (Actor & { data: unknown })[] = [];
  server.command('roll', (ctx) => {
    calls.push(ctx);
    const sides = (ctx.data as { sides?: number }).sides ?? 6;
    if (!Number.isInteger(sides) || sides < 2) throw Errors.badRequest.with('sides: must be an integer ≥ 2');
    return { user: ctx.user, device: ctx.device, value: 1 + Math.floor(Math.random() * sides), sides };
  });
  server.command('fail.plain', () => {
    throw new Error('secret internals');
  });
  server.command('async.nothing', async () => undefined);
  server.command('echo', (ctx) => ({ got: ctx.data }));
  const ts = await startBuilt(t, server, cfg.dataDir);
  const app = await ts.createApp();
  const { c, ctx } = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'alice', 'tablet'), { encoding: enc });
  const rpc = async (method: string, data: unknown) => dataOf((await c.rpc(method, payload(enc, data))).data);

  const r = await rpc('roll', { sides: 20 });
  assert.equal(r.user, 'alice');
  assert.equal(r.device, 'tablet');
  assert.equal(r.sides, 20);
  assert.ok(r.value >= 1 && r.value <= 20);
  assert.deepEqual(calls[0], { app: app.id, user: 'alice', device: 'tablet', client: ctx.client, data: { sides: 20 } });

  await assert.rejects(rpc('roll', { sides: 1 }), (e: any) => e.code === 107 && /sides/.test(e.message));
  await assert.rejects(rpc('fail.plain', {}), (e: any) => e.code === 100 && !/secret/.test(e.message), 'internal errors keep their detail to the log');
  assert.deepEqual(await rpc('async.nothing', {}), {});
  await assert.rejects(rpc('dice', {}), (e: any) => e.code === 104, 'unknown means refused');
  await assert.rejects(rpc('toString', {}), (e: any) => e.code === 104, 'no prototype lookups');
  // Any JSON value is a payload, both ways.
  for (const v of ['text', 0, [1, { a: null }], { nested: { 'é': '✓' } }]) assert.deepEqual(await rpc('echo', v), { got: v });
});

test('registering a built-in, empty, duplicate or non-function command throws at once', { timeout: 20_000 }, async () => {
  const cfg = testConfig();
  const server = await createServer(cfg);
  try {
    for (const name of ['publish', 'channel.create', 'read.mark', 'group.add', '']) {
      assert.throws(() => server.command(name, () => 1), /reserved|empty/, name);
    }
    server.command('roll', () => 1);
    assert.throws(() => server.command('roll', () => 2), /already registered/);
    assert.throws(() => server.command('x', 'nope' as never), /function/);
    assert.throws(() => server.hook('onWhatever' as never, () => undefined), /unknown hook/);
  } finally {
    await server.close();
  }
});

test('beforePublish: one hook rejects (its code reaches the client, nothing stored), one enriches', { timeout: 20_000 }, async (t) => {
  const cfg = testConfig({
    hooks: {
      // Inline in config: reject shouting.
      beforePublish: (p) => {
        if (typeof p.data === 'string' && p.data === p.data.toUpperCase() && /[A-Z]/.test(p.data)) throw new XPushError(4100, 'no shouting');
      },
    },
  });
  const server = await createServer(cfg);
  // Registered on the server: stamp every message with who sent it, after the filter (lower priority).
  server.hook('beforePublish', (p) => ({ data: { text: p.data, by: p.sender.user || 'backend' }, event: p.event === 'message' ? 'chat' : p.event }), -1);
  const ts = await startBuilt(t, server, cfg.dataDir);
  const app = await ts.createApp();
  const token = await tokenFor(ts, app, 'alice');
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice'] });
  const c = await sdkClient(t, ts.wsUrl, token);
  const sub = c.newSubscription('room');
  const got: PublicationContext[] = [];
  sub.on('publication', (p) => got.push(p));
  sub.subscribe();
  await sub.ready(2000);

  await assert.rejects(c.rpc('publish', { channel: 'room', data: 'HELLO' }), (e: any) => e.code === 4100 && e.message === 'no shouting');
  await assert.rejects(c.publish('room', 'HEY'), (e: any) => e.code === 4100, 'native publish too');
  const viaApi = await api(ts, app, 'POST', '/publish', { channel: 'room', data: 'LOUD' });
  assert.equal(viaApi.status, 400);
  assert.deepEqual(viaApi.body.error, { code: 4100, message: 'no shouting' });

  const ok = await c.rpc('publish', { channel: 'room', data: 'hello' });
  assert.equal(ok.data.offset, 1, 'rejected messages took no sequence number');
  await waitFor('the enriched publication', () => got.length === 1);
  assert.deepEqual(got[0]!.data, { text: 'hello', by: 'alice' });
  assert.equal(got[0]!.tags!.event, 'chat');
  const hist = await api(ts, app, 'GET', '/channels/room/history');
  assert.deepEqual(hist.body.publications.map((p: any) => p.data), [{ text: 'hello', by: 'alice' }], 'stored enriched, rejected ones not at all');
  await sleep(50);
  assert.equal(got.length, 1);
});

test('afterConnect and afterDisconnect observe connections; beforeConnect and beforeSubscribe may veto', { timeout: 20_000 }, async (t) => {
  const cfg = testConfig();
  const server = await createServer(cfg);
  const seen: string[] = [];
  server.hook('afterConnect', (a) => void seen.push(`connect ${a.user}/${a.device}/${a.client}`));
  server.hook('afterDisconnect', (a) => void seen.push(`disconnect ${a.user}/${a.device}/${a.client}`));
  server.hook('afterConnect', () => {
    throw new Error('an observer failing changes nothing');
  });
  server.hook('beforeConnect', (p) => {
    if (p.user === 'banned') throw Errors.permissionDenied.with('banned');
    return { info: { greeting: `hi ${p.user}` } };
  });
  server.hook('beforeSubscribe', (p) => {
    if (p.channel.startsWith('secret')) throw Errors.permissionDenied.with('not today');
  });
  const ts = await startBuilt(t, server, cfg.dataDir);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'lobby', type: 'open' });
  await api(ts, app, 'POST', '/channels', { channel: 'secret-room', type: 'open' });

  const { c, ctx } = await connectSdk(t, ts.wsUrl, await tokenFor(ts, app, 'alice', 'phone'));
  await waitFor('afterConnect', () => seen.length === 1);
  assert.deepEqual(seen, [`connect alice/phone/${ctx.client}`]);
  // beforeConnect enriched the connection info shown in presence.
  const s = c.newSubscription('lobby');
  s.subscribe();
  await s.ready(2000);
  const pres = Object.values((await c.presence('lobby')).clients);
  assert.deepEqual(pres[0]!.chanInfo, { greeting: 'hi alice' });
  c.disconnect();
  await waitFor('afterDisconnect', () => seen.length === 2);
  assert.equal(seen[1], `disconnect alice/phone/${ctx.client}`);

  const raw = await rawClient(t, ts.wsUrl);
  const refused = await raw.call('connect', { token: await tokenFor(ts, app, 'banned') });
  assert.equal(refused.error.code, 103);
  assert.equal(refused.error.message, 'banned');
  const raw2 = await rawClient(t, ts.wsUrl);
  await raw2.call('connect', { token: await tokenFor(ts, app, 'bob') });
  assert.equal((await raw2.call('subscribe', { channel: 'secret-room' })).error.code, 103);
  assert.ok((await raw2.call('subscribe', { channel: 'lobby' })).subscribe);
  await sleep(30);
  assert.equal(seen.filter((x) => x.startsWith('connect banned')).length, 0, 'a vetoed connect is not observed');
});

test('a plugin adds hooks (by priority), commands and routes; routes can also be added on server.http before start', { timeout: 20_000 }, async (t) => {
  const cfg = testConfig();
  const server = await createServer(cfg);
  const trail = (tag: string) => (p: { data: unknown }) => ({ data: { ...(p.data as object), trail: [...((p.data as { trail?: string[] }).trail ?? []), tag] } });
  server.hook('beforePublish', trail('server'));
  const plugin: XPushPlugin = {
    name: 'audit',
    priority: 10,
    hooks: { beforePublish: trail('plugin') },
    commands: { 'audit.whoami': (ctx) => ({ user: ctx.user, plugin: 'audit' }) },
    routes(http, srv) {
      http.get('/audit/status', async () => ({ plugin: 'audit', node: srv.nodeId, connections: srv.connections().length }));
    },
  };
  assert.equal(await server.use(plugin), server);
  server.http.post('/hello/:name', async (req) => ({ hello: (req.params as { name: string }).name }));
  const ts = await startBuilt(t, server, cfg.dataDir);
  const app = await ts.createApp();

  const hello = await ts.http('POST', '/hello/world', {});
  assert.deepEqual(hello, { status: 200, body: { hello: 'world' } });
  const c = await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'alice'));
  const status = await ts.http('GET', '/audit/status');
  assert.deepEqual(status.body, { plugin: 'audit', node: server.nodeId, connections: 1 });
  assert.deepEqual((await c.rpc('audit.whoami', {})).data, { user: 'alice', plugin: 'audit' });
  assert.throws(() => server.command('audit.whoami', () => 0), /already registered/);

  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice'] });
  await c.rpc('publish', { channel: 'room', data: {} });
  const hist = await api(ts, app, 'GET', '/channels/room/history');
  assert.deepEqual(hist.body.publications[0].data, { trail: ['plugin', 'server'] }, 'priority 10 runs before priority 0');
  // Built-in routes are untouched.
  assert.equal((await ts.http('GET', '/health')).body.status, 'ok');
});
