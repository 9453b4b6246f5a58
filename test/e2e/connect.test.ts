// Item 3 — connect: good and bad tokens, the connection list, connect timeout, ping/pong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, dataOf, ENCODINGS, payload, rawClient, sdkClient, userSession } from '../helpers/clients.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Math.floor(Date.now() / 1000);

/** A token signed by hand, as an app backend without our helper would. */
function sign(secret: string, claims: Record<string, unknown>, exp: number, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).setExpirationTime(exp).sign(new TextEncoder().encode(secret));
}

async function backendToken(ts: TestServer, app: TestApp, user: string, device?: string): Promise<string> {
  const r = await api(ts, app, 'POST', '/tokens', { user, ...(device ? { device } : {}) });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.token;
}

/** Sends connect with `token` on a fresh raw socket; resolves with how it ended. */
async function tryConnect(t: Parameters<typeof rawClient>[0], ts: TestServer, token: unknown) {
  const c = await rawClient(t, ts.wsUrl);
  c.sendRaw(JSON.stringify({ id: 1, connect: token === undefined ? {} : { token } }));
  return c;
}

test('a good token connects; the reply says who the connection is', async (t) => {
  const ts = await startServer(t, { pingIntervalMs: 20_000 });
  const app = await ts.createApp();
  const s = await userSession(ts, app, 'alice', 'phone');
  const c = await rawClient(t, ts.wsUrl);
  const r = await c.call('connect', { token: s.accessToken, name: 'test', version: '1.0' });
  assert.ok(r.connect, JSON.stringify(r));
  const res = r.connect;
  assert.equal(typeof res.client, 'string');
  assert.ok(res.client.length > 0);
  assert.equal(typeof res.version, 'string');
  assert.equal(res.expires, true);
  assert.ok(res.ttl > 800 && res.ttl <= 900, `ttl ${res.ttl}`);
  assert.deepEqual({ user: res.data.user, device: res.data.device }, { user: 'alice', device: 'phone' });
  assert.equal(res.ping, 20);
  assert.equal(res.pong, true);
  // A token without a device claim is the "default" device.
  const signed = await sign(app.secret, { app: app.id, sub: 'alice' }, now() + 60);
  const d = await rawClient(t, ts.wsUrl);
  assert.equal((await d.call('connect', { token: signed })).connect.data.device, 'default');
  // A second connect on a live connection is a protocol error.
  c.sendRaw(JSON.stringify({ id: 9, connect: { token: s.accessToken } }));
  assert.equal((await c.waitClosed()).code, 3501);
});

test('bad tokens close the socket with 3500 invalid token', async (t) => {
  const ts = await startServer(t);
  const A = await ts.createApp('A');
  const B = await ts.createApp('B');
  const cases: [string, unknown][] = [
    ['garbage', 'not-a-jwt'],
    ['missing token', undefined],
    ['empty token', ''],
    ['token as number', 12345],
    ['signed with another app secret', await sign(A.secret, { app: B.id, sub: 'alice' }, now() + 60)],
    ['signed with the public key', await sign(B.key, { app: B.id, sub: 'alice' }, now() + 60)],
    ['unknown app', await sign(B.secret, { app: 'app_nope', sub: 'alice' }, now() + 60)],
    ['no app claim', await sign(B.secret, { sub: 'alice' }, now() + 60)],
    ['no sub', await sign(B.secret, { app: B.id }, now() + 60)],
    ['HS512 instead of HS256', await sign(B.secret, { app: B.id, sub: 'alice' }, now() + 60, 'HS512')],
    ['alg none', unsignedToken({ app: B.id, sub: 'alice', exp: now() + 60 })],
    ['tampered payload', tamper(await backendToken(ts, B, 'alice'), { sub: 'admin' })],
    ['huge token', 'x'.repeat(10_000)],
  ];
  for (const [what, token] of cases) {
    const c = await tryConnect(t, ts, token);
    const closed = await c.waitClosed();
    assert.equal(closed.code, 3500, `${what}: closed ${JSON.stringify(closed)}; got ${JSON.stringify(c.received)}`);
    assert.match(closed.reason, /invalid token/, what);
    assert.ok(Buffer.byteLength(closed.reason) <= 123);
  }
  assert.deepEqual((await api(ts, B, 'GET', '/connections')).body.connections, []);
});

test('an expired token gets error 109 and the socket stays; any other command then closes it 3501', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  await backendToken(ts, app, 'alice');
  const expired = await sign(app.secret, { app: app.id, sub: 'alice', device: 'phone' }, now() - 60);
  const c = await rawClient(t, ts.wsUrl);
  const r = await c.call('connect', { token: expired });
  assert.equal(r.error?.code, 109, JSON.stringify(r));
  assert.equal(c.closed, undefined, 'the socket stays for the SDK to retry');
  assert.deepEqual((await api(ts, app, 'GET', '/connections')).body.connections, [], 'not connected');
  // Not connected: any other command is refused.
  c.sendRaw(JSON.stringify({ id: 2, rpc: { method: 'channel.list', data: {} } }));
  assert.equal((await c.waitClosed()).code, 3501);
});

for (const enc of ENCODINGS) {
  test(`the official SDK answered 109 for an expired token fetches a new one and connects [${enc}]`, async (t) => {
    const ts = await startServer(t);
    const app = await ts.createApp();
    await backendToken(ts, app, 'alice');
    const expired = await sign(app.secret, { app: app.id, sub: 'alice', device: 'phone' }, now() - 60);
    let asked = 0;
    const sdk = await sdkClient(t, ts.wsUrl, expired, {
      encoding: enc,
      getToken: async () => (asked++, backendToken(ts, app, 'alice', 'phone')),
    });
    assert.equal(asked, 1);
    assert.equal(sdk.state, 'connected');
    assert.deepEqual((await api(ts, app, 'GET', '/connections')).body.connections.map((x: { user: string }) => x.user), ['alice']);
  });

  test(`the official SDK refreshes a token that nears expiry on the live connection, which stays past the old expiry [${enc}]`, async (t) => {
    const ts = await startServer(t, { tokenExpiryGraceMs: 500 });
    const app = await ts.createApp();
    await backendToken(ts, app, 'alice');
    const exp = now() + 2;
    let asked = 0;
    const sdk = await sdkClient(t, ts.wsUrl, await sign(app.secret, { app: app.id, sub: 'alice', device: 'phone' }, exp), {
      encoding: enc,
      getToken: async () => (asked++, sign(app.secret, { app: app.id, sub: 'alice', device: 'phone' }, now() + 60)),
    });
    const drops: number[] = [];
    sdk.on('disconnected', (d) => drops.push(d.code));
    sdk.on('connecting', (d) => drops.push(d.code));
    while (Date.now() < exp * 1000 + 1500) await sleep(50); // past the old expiry and its grace
    assert.ok(asked >= 1, 'the SDK asked for a new token');
    assert.deepEqual(drops, [], 'refreshed in place (refresh command), never closed 3005');
    assert.equal(sdk.state, 'connected');
    assert.deepEqual(dataOf((await sdk.rpc('channel.list', payload(enc, {}))).data), { channels: [] }, 'and it still answers');
  });
}

test('a live connection whose token expires without refresh is closed with 3005', async (t) => {
  const ts = await startServer(t, { tokenExpiryGraceMs: 0 });
  const app = await ts.createApp();
  await backendToken(ts, app, 'alice');
  const exp = now() + 1;
  const c = await rawClient(t, ts.wsUrl);
  const r = await c.call('connect', { token: await sign(app.secret, { app: app.id, sub: 'alice' }, exp) });
  assert.ok(r.connect, JSON.stringify(r));
  const closed = await c.waitClosed(3500);
  assert.equal(closed.code, 3005);
  assert.ok(Date.now() >= exp * 1000);
});

test('connected users and devices are listed per app', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const other = await ts.createApp('other');
  const tokens = await Promise.all([
    backendToken(ts, app, 'alice', 'phone'), backendToken(ts, app, 'alice', 'laptop'), backendToken(ts, app, 'bob', 'phone'),
  ]);
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'] });
  const clients = [];
  for (const tok of tokens) {
    const c = await rawClient(t, ts.wsUrl);
    clients.push({ c, id: (await c.call('connect', { token: tok })).connect.client });
  }
  await clients[0]!.c.call('subscribe', { channel: 'room' });
  const o = await rawClient(t, ts.wsUrl);
  await o.call('connect', { token: await backendToken(ts, other, 'carol') });

  const r = await api(ts, app, 'GET', '/connections');
  assert.equal(r.status, 200);
  const conns = r.body.connections as { client: string; user: string; device: string; node: string; channels: string[] }[];
  assert.deepEqual(conns.map((x) => `${x.user}/${x.device}`).sort(), ['alice/laptop', 'alice/phone', 'bob/phone']);
  const byClient = new Map(conns.map((x) => [x.client, x]));
  assert.deepEqual(byClient.get(clients[0]!.id)?.channels, ['room']);
  assert.deepEqual(byClient.get(clients[1]!.id)?.channels, []);
  for (const x of conns) assert.equal(typeof x.node, 'string');

  // A closed connection leaves the list.
  clients[2]!.c.close();
  for (let i = 0; i < 50; i++) {
    if ((await api(ts, app, 'GET', '/connections')).body.connections.length === 2) break;
    await sleep(20);
  }
  assert.deepEqual((await api(ts, app, 'GET', '/connections')).body.connections.map((x: { user: string }) => x.user).sort(), ['alice', 'alice']);
  assert.equal((await ts.http('GET', `/v1/apps/${app.id}/connections`)).status, 401);
});

test('a socket that never sends connect is closed with 3502 after connectTimeoutMs', async (t) => {
  const ts = await startServer(t, { connectTimeoutMs: 200 });
  const started = Date.now();
  const c = await rawClient(t, ts.wsUrl);
  const closed = await c.waitClosed(2000);
  assert.equal(closed.code, 3502);
  const took = Date.now() - started;
  assert.ok(took >= 190 && took < 1500, `closed after ${took} ms`);
  // Pongs (empty objects) do not count as connect.
  const d = await rawClient(t, ts.wsUrl);
  const timer = setInterval(() => d.ws.readyState === 1 && d.sendRaw('{}'), 50);
  t.after(() => clearInterval(timer));
  assert.equal((await d.waitClosed(2000)).code, 3502);
});

test('a client that does not answer pings is closed with 3012; one that answers stays', async (t) => {
  const ts = await startServer(t, { pingIntervalMs: 300, pongTimeoutMs: 200 });
  const app = await ts.createApp();
  const token = await backendToken(ts, app, 'alice');

  const silent = await rawClient(t, ts.wsUrl);
  assert.equal((await silent.call('connect', { token })).connect.ping, 1 /* seconds, rounded up from 300 ms */);

  const polite = await rawClient(t, ts.wsUrl);
  polite.ws.on('message', (data) => {
    if (data.toString().split('\n').some((l) => l.trim() === '{}')) polite.sendRaw('{}');
  });
  await polite.call('connect', { token });
  const sdks = await Promise.all(ENCODINGS.map((encoding) => sdkClient(t, ts.wsUrl, token, { encoding })));

  const closed = await silent.waitClosed(2000);
  assert.equal(closed.code, 3012);
  assert.ok(silent.received.some((m) => Object.keys(m).length === 0), 'a ping {} was sent before giving up');

  await sleep(1000); // several ping intervals
  assert.equal(polite.closed, undefined, `polite client closed: ${JSON.stringify(polite.closed)}`);
  assert.ok(polite.received.filter((m) => Object.keys(m).length === 0).length >= 2, 'pinged repeatedly');
  for (const sdk of sdks) assert.equal(sdk.state, 'connected', 'both SDK builds answer pings');
  const still = await polite.call('rpc', { method: 'channel.list', data: {} });
  assert.deepEqual(still.rpc?.data, { channels: [] });
});

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}
function unsignedToken(claims: object): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}
function tamper(token: string, patch: object): string {
  const [h, p, s] = token.split('.');
  const claims = { ...JSON.parse(Buffer.from(p!, 'base64url').toString()), ...patch };
  return `${h}.${b64url(claims)}.${s}`;
}
