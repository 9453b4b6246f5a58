// Issue 11, item 1: proxies. The app's backend — here plain node:http, standing in for one written in
// any language — is asked about connect (without a JWT), subscribe, publish, rpc, refresh and
// sub_refresh, with signed JSON requests; its verdicts reach the official client as protocol codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublicationContext } from 'centrifuge';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, newCentrifuge, rawClient, sdkClient } from '../helpers/clients.ts';
import { startBackend, type Answer, type BackendRequest } from '../helpers/backend.ts';
import { tokenFor, waitFor } from './e2e-kit.ts';

const admin = (ts: TestServer) => ({ authorization: `Bearer ${ts.adminToken}` });

async function setProxy(ts: TestServer, app: TestApp, proxy: Record<string, unknown>): Promise<void> {
  const r = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { proxy }, admin(ts));
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function openChannel(ts: TestServer, app: TestApp, channel: string): Promise<void> {
  const r = await api(ts, app, 'POST', '/channels', { channel, type: 'open' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

/** The backend's rules for the main scenario. */
function backendRules(r: BackendRequest): Answer {
  const b = r.body;
  switch (r.path) {
    case '/connect':
      if (b.data?.session === 'good') return { json: { result: { user: 'alice', device: 'laptop', info: { name: 'Alice' }, channels: ['news'], data: { greeting: 'hello' } } } };
      if (b.data?.session === 'banned') return { json: { disconnect: { code: 4501, reason: 'banned' } } };
      return { json: { error: { code: 101, message: 'unknown session' } } };
    case '/subscribe':
      if (b.channel === 'vault') return { json: { error: { code: 103, message: 'the vault is closed' } } };
      return { json: { result: { data: { welcome: b.channel } } } };
    case '/publish':
      if (b.data?.text === 'spam') return { json: { error: { code: 1001, message: 'no spam here' } } };
      if (b.data?.text === 'shout') return { json: { result: { data: { text: 'SHOUT', by: b.user } } } };
      return { json: {} };
    case '/rpc':
      if (b.method === 'backend.whoami') return { json: { result: { data: { user: b.user, device: b.device, got: b.data } } } };
      return { json: { error: { code: 1404, message: `backend has no ${b.method}` } } };
    default:
      return { status: 404 };
  }
}

test('a proxy backend authenticates connections without a JWT, refuses a publish, rewrites one and serves a custom rpc', { timeout: 30_000 }, async (t) => {
  const hookSaw: unknown[] = [];
  const connectSaw: unknown[] = [];
  const ts = await startServer(t, { hooks: {
    beforePublish: (p) => void hookSaw.push(p.data),
    beforeConnect: (p) => void connectSaw.push({ user: p.user, device: p.device, info: p.info }),
  } });
  const app = await ts.createApp();
  const backend = await startBackend(t, () => app.secret, backendRules);
  await setProxy(ts, app, {
    connectUrl: backend.url + '/connect', subscribeUrl: backend.url + '/subscribe', publishUrl: backend.url + '/publish',
    rpcUrl: backend.url + '/rpc', rpcPrefix: 'backend.',
  });
  await openChannel(ts, app, 'news');
  await openChannel(ts, app, 'chat');
  await openChannel(ts, app, 'vault');

  // connect: no token, the app named in the connect data; the backend answers who this is.
  const c = newCentrifuge(ts.wsUrl, '', { data: { app: app.id, session: 'good' } });
  t.after(() => c.disconnect());
  const serverSubs: string[] = [];
  const newsPubs: unknown[] = [];
  c.on('subscribed', (ctx) => serverSubs.push(ctx.channel));
  c.on('publication', (ctx) => { if (ctx.channel === 'news') newsPubs.push(ctx.data); });
  const connected = new Promise<any>((resolve, reject) => {
    c.once('connected', resolve);
    c.once('disconnected', (d) => reject(new Error(`disconnected ${d.code} ${d.reason}`)));
  });
  c.connect();
  const ctx = await connected;
  assert.equal(ctx.data.user, 'alice');
  assert.equal(ctx.data.device, 'laptop');
  assert.equal(ctx.data.greeting, 'hello', "the backend's data reaches the client");
  const connectReq = backend.on('/connect')[0]!;
  assert.equal(connectReq.body.app, app.id);
  assert.equal(connectReq.body.client, ctx.client);
  assert.equal(connectReq.body.transport, 'websocket');
  assert.deepEqual(connectReq.body.data, { app: app.id, session: 'good' });
  assert.deepEqual(connectSaw, [{ user: 'alice', device: 'laptop', info: { name: 'Alice' } }], 'beforeConnect runs after the proxy, with its answer');

  // The channel the backend named is subscribed server-side: the backend's publications arrive.
  await waitFor('server-side subscription to news', () => serverSubs.includes('news'));
  assert.equal((await api(ts, app, 'POST', '/publish', { channel: 'news', data: { n: 1 } })).status, 200);
  await waitFor('news publication', () => newsPubs.length === 1);
  // Presence shows the backend's info for the user.
  const presence = await api(ts, app, 'GET', '/channels/news/presence');
  assert.deepEqual(Object.values(presence.body.presence).map((p: any) => [p.user, p.info]), [['alice', { name: 'Alice' }]]);

  // subscribe: the backend allows (its data in the reply) or refuses (its code).
  const chat = c.newSubscription('chat');
  const chatPubs: PublicationContext[] = [];
  chat.on('publication', (p) => chatPubs.push(p));
  const subscribed = new Promise<any>((resolve) => chat.once('subscribed', resolve));
  chat.subscribe();
  assert.deepEqual((await subscribed).data, { welcome: 'chat' });
  const vault = c.newSubscription('vault');
  const vaultErr = new Promise<any>((resolve) => vault.once('unsubscribed', resolve));
  vault.subscribe();
  const refused = await vaultErr;
  assert.equal(refused.code, 103);

  // publish: allowed as is, refused with the backend's code, rewritten.
  await c.publish('chat', { text: 'hi' });
  await assert.rejects(c.publish('chat', { text: 'spam' }), (e: any) => e.code === 1001 && e.message === 'no spam here');
  await c.publish('chat', { text: 'shout' });
  await waitFor('two chat publications', () => chatPubs.length === 2);
  assert.deepEqual(chatPubs.map((p) => p.data), [{ text: 'hi' }, { text: 'SHOUT', by: 'alice' }]);
  const history = await api(ts, app, 'GET', '/channels/chat/history?limit=10');
  assert.deepEqual(history.body.publications.map((p: any) => p.data), [{ text: 'hi' }, { text: 'SHOUT', by: 'alice' }], 'the refused publish is not stored');
  // Order: proxy first, then the in-process beforePublish hook sees the rewritten data.
  assert.deepEqual(hookSaw.filter((d: any) => d?.text !== undefined && d.n === undefined), [{ text: 'hi' }, { text: 'SHOUT', by: 'alice' }]);
  // A publish XPUSH refuses by its own rules (not a member) never reaches the backend.
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'staff', members: [] })).status, 201);
  const publishCalls = backend.on('/publish').length;
  await assert.rejects(c.publish('staff', { text: 'hi' }), (e: any) => e.code === 103);
  assert.equal(backend.on('/publish').length, publishCalls);
  const pubReq = backend.on('/publish').find((r) => r.body.data.text === 'shout')!;
  assert.deepEqual({ ...pubReq.body, client: undefined }, { client: undefined, transport: 'websocket', encoding: 'json', app: app.id, user: 'alice', device: 'laptop', channel: 'chat', data: { text: 'shout' } });

  // rpc: methods with the prefix go to the backend; others stay unknown (104) without asking it.
  assert.deepEqual((await c.rpc('backend.whoami', { q: 1 })).data, { user: 'alice', device: 'laptop', got: { q: 1 } });
  await assert.rejects(c.rpc('backend.missing', {}), (e: any) => e.code === 1404);
  const rpcCalls = backend.on('/rpc').length;
  await assert.rejects(c.rpc('elsewhere', {}), (e: any) => e.code === 104);
  assert.equal(backend.on('/rpc').length, rpcCalls, 'a method outside the prefix never reaches the backend');
  // Built-in methods are never proxied.
  assert.equal((await c.rpc('channel.get', { channel: 'chat' })).data.channel, 'chat');

  // Every request XPUSH sent was signed with the app secret (checked with the docs' code).
  assert.ok(backend.requests.length >= 8);
  assert.ok(backend.requests.every((r) => r.signed), 'every proxy request carries a valid signature');
});

test('connect proxy refusals: an error code answers the connect, a disconnect ends the socket, no proxy means a token is required', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const other = await ts.createApp('no-proxy');
  const backend = await startBackend(t, () => app.secret, backendRules);
  await setProxy(ts, app, { connectUrl: backend.url + '/connect' });

  const a = await rawClient(t, ts.wsUrl);
  const ra = await a.call('connect', { data: { app: app.id, session: 'forged' } });
  assert.deepEqual(ra.error, { code: 101, message: 'unknown session' });
  const b = await rawClient(t, ts.wsUrl);
  b.sendRaw(JSON.stringify({ id: 1, connect: { data: { app: app.id, session: 'banned' } } }));
  assert.deepEqual(await b.waitClosed(), { code: 4501, reason: 'banned' });
  for (const data of [{ app: other.id }, { app: 'app_nope' }, {}]) {
    const c = await rawClient(t, ts.wsUrl);
    c.sendRaw(JSON.stringify({ id: 1, connect: { data } }));
    assert.equal((await c.waitClosed()).code, 3500, `no connect proxy for ${JSON.stringify(data)}: a token is required`);
  }
  // A JWT still works beside the proxy (the proxy is only asked when there is no token).
  const before = backend.on('/connect').length;
  await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'bob'));
  assert.equal(backend.on('/connect').length, before);
});

test('a proxy that times out, fails or answers nonsense gives 504 / 502 (temporary); the connection stays', { timeout: 20_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const backend = await startBackend(t, () => app.secret, (r) => {
    if (r.path === '/slow') return 'hang';
    if (r.path === '/500') return { status: 500, text: 'boom' };
    if (r.path === '/notjson') return { text: 'ok' };
    if (r.path === '/badcode') return { json: { error: { code: 7, message: 'x' } } };
    if (r.path === '/baduser') return { json: { result: { user: '' } } };
    return { json: {} };
  });
  await openChannel(ts, app, 'chat');
  const cases: [string, number, RegExp][] = [
    ['/slow', 504, /did not answer within 200 ms/],
    ['/500', 502, /HTTP 500/],
    ['/notjson', 502, /not JSON/],
    ['/badcode', 502, /error.code/],
    ['http://127.0.0.1:1/closed', 502, /unreachable/],
  ];
  const c = await sdkClient(t, ts.wsUrl, await tokenFor(ts, app, 'alice'));
  for (const [where, code, message] of cases) {
    const url = where.startsWith('http') ? where : backend.url + where;
    await setProxy(ts, app, { publishUrl: url, rpcUrl: url, connectUrl: url, timeoutMs: 200 });
    const t0 = Date.now();
    await assert.rejects(c.publish('chat', { n: 1 }), (e: any) => e.code === code && message.test(e.message), `publish via ${where}`);
    if (where === '/slow') assert.ok(Date.now() - t0 < 2000, 'the timeout bounds the wait');
    await assert.rejects(c.rpc('custom', {}), (e: any) => e.code === code, `rpc via ${where}`);
    const raw = await rawClient(t, ts.wsUrl);
    const r = await raw.call('connect', { data: { app: app.id } });
    assert.equal(r.error?.code, code, `connect via ${where}: ${JSON.stringify(r)}`);
    assert.equal(r.error?.temporary, true, 'temporary: the SDKs retry');
  }
  await setProxy(ts, app, { connectUrl: backend.url + '/baduser', publishUrl: '', rpcUrl: '' });
  const raw = await rawClient(t, ts.wsUrl);
  assert.equal((await raw.call('connect', { data: { app: app.id } })).error?.code, 502);
  assert.equal((await api(ts, app, 'GET', '/channels/chat/history?limit=10')).body.publications.length, 0, 'nothing was stored');
  // Bad settings are refused.
  for (const proxy of [{ connectUrl: 'ftp://x' }, { timeoutMs: 10 }, { connectUrl: 'not a url' }]) {
    const r = await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { proxy }, admin(ts));
    assert.equal(r.status, 400, JSON.stringify(proxy));
  }
});

test('refresh and sub_refresh: the backend extends, then expires, a connection (3005) and a subscription (unsubscribe 2501)', { timeout: 30_000 }, async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  let refreshes = 0;
  let subRefreshes = 0;
  const soon = (s = 1) => Math.floor(Date.now() / 1000) + s;
  // The subscription expires first (about 2 s in), the connection later (about 6 s in).
  const backend = await startBackend(t, () => app.secret, (r) => {
    if (r.path === '/connect') return { json: { result: { user: 'carol', expire_at: soon(3) } } };
    if (r.path === '/refresh') return { json: { result: ++refreshes === 1 ? { expire_at: soon(3) } : { expired: true } } };
    if (r.path === '/subscribe') return { json: { result: { expire_at: soon() } } };
    if (r.path === '/sub_refresh') return { json: { result: ++subRefreshes === 1 ? { expire_at: soon() } : { expired: true } } };
    return { status: 404 };
  });
  await openChannel(ts, app, 'ticker');
  await setProxy(ts, app, {
    connectUrl: backend.url + '/connect', refreshUrl: backend.url + '/refresh',
    subscribeUrl: backend.url + '/subscribe', subRefreshUrl: backend.url + '/sub_refresh',
  });
  const c = await rawClient(t, ts.wsUrl);
  c.autoPong = true;
  const r = await c.call('connect', { data: { app: app.id } });
  assert.equal(r.connect.expires, undefined, 'the client is not asked to refresh: the server does');
  assert.ok((await c.call('subscribe', { channel: 'ticker' })).subscribe);
  const unsub = await c.waitFor((m) => m.push?.unsubscribe, 8000);
  assert.deepEqual(unsub.push, { channel: 'ticker', unsubscribe: { code: 2501, reason: 'subscription expired' } });
  assert.equal(subRefreshes, 2, 'extended once, then expired');
  const closed = await c.waitClosed(10_000);
  assert.equal(closed.code, 3005);
  assert.equal(refreshes, 2);
  const refreshReq = backend.on('/refresh')[0]!;
  assert.equal(refreshReq.body.user, 'carol');
  assert.equal(refreshReq.body.client, r.connect.client);
  assert.ok(backend.requests.every((x) => x.signed));
});

test('a failing refresh proxy leaves the connection up until tokenExpiryGraceMs has passed, then 3005', { timeout: 30_000 }, async (t) => {
  const ts = await startServer(t, { tokenExpiryGraceMs: 1500 });
  const app = await ts.createApp();
  let expireAt = 0;
  const backend = await startBackend(t, () => app.secret, (r) => {
    if (r.path === '/connect') return { json: { result: { user: 'dave', expire_at: (expireAt = Math.floor(Date.now() / 1000) + 1) } } };
    return { status: 503 };
  });
  await setProxy(ts, app, { connectUrl: backend.url + '/connect', refreshUrl: backend.url + '/refresh' });
  const c = await rawClient(t, ts.wsUrl);
  c.autoPong = true;
  assert.ok((await c.call('connect', { data: { app: app.id } })).connect);
  const closed = await c.waitClosed(10_000);
  assert.equal(closed.code, 3005);
  const lived = Date.now() - expireAt * 1000;
  assert.ok(lived >= 1200, `kept ${lived} ms past expire_at while the refresh proxy failed`);
  assert.ok(backend.on('/refresh').length >= 1, 'the refresh proxy was asked');
});
