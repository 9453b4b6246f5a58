// Hostile and malformed frames, sent by hand: what the official SDKs never send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, rawClient, type RawClient } from '../helpers/clients.ts';
import type { ConfigInput } from '../../src/config.ts';

type T = Parameters<typeof rawClient>[0];

/** Server + app + members channel "room" (alice, bob) + a connected raw client for alice. */
async function setup(t: T, config: ConfigInput = {}): Promise<{ ts: TestServer; app: TestApp; c: RawClient; token: string }> {
  const ts = await startServer(t, config);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/tokens', { user: 'bob' });
  const token = (await api(ts, app, 'POST', '/tokens', { user: 'alice' })).body.token;
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'], data: { v: 1 } })).status, 201);
  const c = await rawClient(t, ts.wsUrl);
  assert.ok((await c.call('connect', { token })).connect);
  return { ts, app, c, token };
}

/** Sends one raw line with a given id and waits for the reply to that id. */
async function raw(c: RawClient, line: string, id: number): Promise<any> {
  c.sendRaw(line);
  return c.waitFor((m) => m.id === id);
}

async function stored(ts: TestServer, app: TestApp): Promise<number> {
  return (await api(ts, app, 'GET', '/channels/room/history?limit=0')).body.offset;
}

test('before connect: malformed JSON, another command or a non-object close with 3501', async (t) => {
  const ts = await startServer(t);
  for (const frame of ['{"id":1,"connect":', 'hello', '[1,2,3]', 'null', '{"id":1,"rpc":{"method":"channel.list","data":{}}}', '{"id":1,"frobnicate":{}}']) {
    const c = await rawClient(t, ts.wsUrl);
    c.sendRaw(frame);
    const closed = await c.waitClosed();
    assert.equal(closed.code, 3501, `${frame}: ${JSON.stringify(closed)}`);
    assert.ok(Buffer.byteLength(closed.reason) <= 123);
  }
});

test('after connect: a bad command with an id gets 107 and changes nothing', async (t) => {
  const { ts, app, c } = await setup(t);
  const bad: [string, string][] = [
    ['unknown command', '{"id":11,"frobnicate":{"channel":"room"}}'],
    ['two commands in one object', '{"id":12,"publish":{"channel":"room","data":1},"history":{"channel":"room"}}'],
    ['no command', '{"id":13}'],
    ['body not an object', '{"id":14,"publish":"room"}'],
    ['body null', '{"id":15,"publish":null}'],
    ['body array', '{"id":16,"publish":["room",1]}'],
    ['channel as number', '{"id":17,"publish":{"channel":42,"data":1}}'],
    ['channel empty', '{"id":18,"publish":{"channel":"","data":1}}'],
    ['data missing', '{"id":19,"publish":{"channel":"room"}}'],
    ['subscribe channel as object', '{"id":20,"subscribe":{"channel":{"a":1}}}'],
    ['subscribe offset as string', '{"id":21,"subscribe":{"channel":"room","recover":true,"offset":"5"}}'],
    ['rpc method as number', '{"id":22,"rpc":{"method":7,"data":{}}}'],
    ['rpc publish with wrong types', '{"id":23,"rpc":{"method":"publish","data":{"channel":"room","event":5,"data":1}}}'],
    ['rpc publish with an unknown field', '{"id":24,"rpc":{"method":"publish","data":{"channel":"room","data":1,"sender":"bob"}}}'],
    ['rpc data not an object', '{"id":25,"rpc":{"method":"channel.update","data":"room"}}'],
    ['channel.update with a channel array', '{"id":26,"rpc":{"method":"channel.update","data":{"channel":["room"],"data":{"v":2}}}}'],
    ['members as string', '{"id":27,"rpc":{"method":"channel.members.add","data":{"channel":"room","users":"eve"}}}'],
    ['history limit as string', '{"id":28,"history":{"channel":"room","limit":"10"}}'],
    ['control characters in a channel name', '{"id":29,"rpc":{"method":"channel.create","data":{"channel":"a\\u0000b"}}}'],
  ];
  for (const [what, line] of bad) {
    const id = JSON.parse(line).id as number;
    const r = await raw(c, line, id);
    assert.equal(r.error?.code, 107, `${what}: ${JSON.stringify(r)}`);
    assert.equal(typeof r.error.message, 'string');
  }
  assert.equal(c.closed, undefined);
  assert.equal(await stored(ts, app), 0, 'nothing published');
  const ch = (await api(ts, app, 'GET', '/channels/room')).body;
  assert.deepEqual(ch.data, { v: 1 });
  assert.deepEqual([...ch.members].sort(), ['alice', 'bob']);
  assert.equal((await api(ts, app, 'GET', '/channels/a%00b')).status >= 400, true);
  // Still fully working.
  assert.equal((await c.call('publish', { channel: 'room', data: 'ok' })).publish.offset, 1);
});

test('unknown rpc method → 104; unknown commands and bad ids never reach a handler', async (t) => {
  const { c } = await setup(t);
  for (const method of ['nope', 'channel.explode', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const r = await c.call('rpc', { method, data: {} });
    assert.equal(r.error?.code, 104, `${method}: ${JSON.stringify(r)}`);
  }
  for (const cmd of ['__proto__', 'constructor', 'toString']) {
    const r = await raw(c, `{"id":40,"${cmd}":{}}`.replace('40', String(40 + cmd.length)), 40 + cmd.length);
    assert.equal(r.error?.code, 107, `${cmd}: ${JSON.stringify(r)}`);
  }
});

test('an id that is not a positive integer cannot be answered: close 3501', async (t) => {
  const { ts, token } = await setup(t);
  for (const id of ['"7"', '0', '-1', '1.5', 'null', '{}', '9007199254740993']) {
    const c = await rawClient(t, ts.wsUrl);
    assert.ok((await c.call('connect', { token })).connect);
    c.sendRaw(`{"id":${id},"publish":{"channel":"room","data":1}}`);
    const closed = await c.waitClosed();
    assert.equal(closed.code, 3501, `id ${id}: ${JSON.stringify(closed)} ${JSON.stringify(c.received)}`);
  }
});

test('malformed JSON after connect closes with 3501 (no id to answer)', async (t) => {
  const { c } = await setup(t);
  c.sendRaw('{"id":5,"publish":{"channel":"room"');
  assert.equal((await c.waitClosed()).code, 3501);
});

test('a frame above maxFrameBytes closes the socket with 1009', async (t) => {
  const { ts, app, c } = await setup(t, { maxFrameBytes: 8192, maxMessageBytes: 2048 });
  c.sendRaw(JSON.stringify({ id: 9, publish: { channel: 'room', data: 'x'.repeat(9000) } }));
  assert.equal((await c.waitClosed()).code, 1009);
  assert.equal(await stored(ts, app), 0);
  // Also before connect.
  const d = await rawClient(t, ts.wsUrl);
  d.sendRaw('x'.repeat(8193));
  assert.equal((await d.waitClosed()).code, 1009);
});

test('text frames with invalid UTF-8 close with 1007; binary frames with JSON are read, answers are text', async (t) => {
  const { ts, token } = await setup(t);
  const bad = await rawClient(t, ts.wsUrl);
  bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
  assert.equal((await bad.waitClosed()).code, 1007);

  const b = await rawClient(t, ts.wsUrl);
  const kinds: boolean[] = [];
  b.ws.on('message', (_d, isBinary) => kinds.push(isBinary));
  b.ws.send(Buffer.from(JSON.stringify({ id: 1, connect: { token } })), { binary: true });
  const r = await b.waitFor((m) => m.id === 1);
  assert.ok(r.connect, JSON.stringify(r));
  b.ws.send(Buffer.from(JSON.stringify({ id: 2, publish: { channel: 'room', data: 'bin' } })), { binary: true });
  assert.equal((await b.waitFor((m) => m.id === 2)).publish?.offset, 1);
  assert.ok(kinds.length >= 2 && kinds.every((k) => k === false), `server frames binary? ${kinds}`);
  // Binary garbage is treated like text garbage.
  b.ws.send(Buffer.from([0x00, 0x01, 0x02]), { binary: true });
  assert.equal((await b.waitClosed()).code, 3501);
});

test('many commands in one frame, newline-separated: every one is answered', async (t) => {
  const { ts, app, c } = await setup(t);
  const cmds: object[] = [];
  for (let i = 1; i <= 30; i++) cmds.push({ id: 100 + i, publish: { channel: 'room', data: i } });
  cmds.push({ id: 200, history: { channel: 'room', limit: 0 } });
  cmds.push({ id: 201, rpc: { method: 'channel.get', data: { channel: 'room' } } });
  cmds.push({ id: 202, rpc: { method: 'nope' } });
  cmds.push({ id: 203, subscribe: { channel: 'room' } });
  c.sendRaw(cmds.map((x) => JSON.stringify(x)).join('\n') + '\n\n');
  const replies = await Promise.all(cmds.map((x) => c.waitFor((m) => m.id === (x as { id: number }).id)));
  assert.deepEqual(replies.slice(0, 30).map((r) => r.publish?.offset), Array.from({ length: 30 }, (_, i) => i + 1));
  assert.ok(replies[30].history);
  assert.equal(replies[31].rpc?.data.channel, 'room');
  assert.equal(replies[32].error?.code, 104);
  assert.ok(replies[33].subscribe);
  assert.equal(await stored(ts, app), 30);
  // CRLF separators and blank lines are tolerated too.
  c.sendRaw('{"id":300,"publish":{"channel":"room","data":"a"}}\r\n\r\n{"id":301,"publish":{"channel":"room","data":"b"}}');
  assert.equal((await c.waitFor((m) => m.id === 301)).publish?.offset, 32);
  assert.equal((await c.waitFor((m) => m.id === 300)).publish?.offset, 31);
});

test('a client that keeps sending bad commands is closed with 3509', async (t) => {
  const { c } = await setup(t, { maxErrorsPerConnection: 5 });
  for (let i = 1001; i <= 1005; i++) assert.equal((await raw(c, `{"id":${i},"bogus":{}}`, i)).error?.code, 107);
  assert.equal(c.closed, undefined, 'tolerated up to the limit');
  c.sendRaw('{"id":1006,"bogus":{}}');
  assert.equal((await c.waitClosed()).code, 3509);
});

test('commands beyond maxCommandsPerSecond get 111 (temporary); the connection survives', async (t) => {
  const { c } = await setup(t, { maxCommandsPerSecond: 5 });
  // Burst = 2 × rate = 10 commands (connect took one); the rest of a 30-command frame is refused.
  const cmds = Array.from({ length: 30 }, (_, i) => ({ id: 500 + i, history: { channel: 'room', limit: 0 } }));
  c.sendRaw(cmds.map((x) => JSON.stringify(x)).join('\n'));
  const replies = await Promise.all(cmds.map((x) => c.waitFor((m) => m.id === x.id)));
  const limited = replies.filter((r) => r.error?.code === 111);
  assert.ok(limited.length >= 15 && limited.length <= 21, `limited ${limited.length}`);
  assert.ok(limited.every((r) => r.error.temporary === true));
  assert.equal(c.closed, undefined);
});

test('huge limit values are capped or refused, never honoured', async (t) => {
  const { c } = await setup(t, { maxHistoryLimit: 5 });
  for (let i = 0; i < 8; i++) await c.call('publish', { channel: 'room', data: i });
  const capped = await c.call('history', { channel: 'room', limit: Number.MAX_SAFE_INTEGER });
  assert.equal(capped.history.publications.length, 5);
  for (const limit of [1e308, 2 ** 64, Number.MAX_SAFE_INTEGER + 2]) {
    const r = await c.call('history', { channel: 'room', limit });
    assert.equal(r.error?.code, 107, `limit ${limit}: ${JSON.stringify(r).slice(0, 200)}`);
  }
  const unread = await c.call('rpc', { method: 'unread.fetch', data: { channel: 'room', limit: 1e12 } });
  assert.ok(unread.rpc, JSON.stringify(unread));
  assert.ok(unread.rpc.data.publications.length <= 5);
  assert.equal((await c.call('rpc', { method: 'user.search', data: { limit: 1e9 } })).error?.code, 107);
  const rec = await c.call('subscribe', { channel: 'room', recover: true, offset: 1e300, epoch: 'x' });
  assert.equal(rec.error?.code, 107);
  const far = await c.call('history', { channel: 'room', since: { offset: Number.MAX_SAFE_INTEGER }, limit: 3 });
  assert.deepEqual(far.history?.publications ?? [], []);
});

// Fails today: a 6,000-deep array (12 KB, within the default 64 KiB frame) overflows the stack in
// JSON.stringify (size check / store), which answers 100 "internal" with temporary: true, so the
// official SDKs would retry it forever. It should be a final 107 (or 106) like any other bad input.
test('deeply nested JSON is refused as a bad request, stores nothing, and the server stays up', async (t) => {
  const { ts, app, c } = await setup(t);
  assert.ok((await c.call('rpc', { method: 'channel.create', data: { channel: 'mine', data: { v: 1 } } })).rpc);
  const depth = 6000;
  const nested = '['.repeat(depth) + ']'.repeat(depth);
  const replies = [
    await raw(c, `{"id":1001,"publish":{"channel":"room","data":${nested}}}`, 1001),
    await raw(c, `{"id":1002,"rpc":{"method":"channel.update","data":{"channel":"mine","data":${nested}}}}`, 1002),
  ];
  // The server is alive and nothing changed.
  assert.equal((await ts.http('GET', '/health')).status, 200);
  assert.equal(await stored(ts, app), 0);
  assert.deepEqual((await c.call('rpc', { method: 'channel.get', data: { channel: 'mine' } })).rpc.data.data, { v: 1 });
  assert.equal((await c.call('publish', { channel: 'room', data: [[[1]]] })).publish?.offset, 1);
  for (const r of replies) {
    assert.ok(r.error, JSON.stringify(r).slice(0, 200));
    assert.ok([106, 107].includes(r.error.code) && !r.error.temporary,
      `deep nesting must be a final bad request (107/106), got ${JSON.stringify(r.error)} — the SDK retries temporary errors`);
  }
});

test('prototype-pollution keys in frames and rpc data do nothing harmful', async (t) => {
  const { ts, app, c, token } = await setup(t);
  const polluted = () => ({} as Record<string, unknown>).polluted !== undefined || ({} as Record<string, unknown>).isAdmin !== undefined;
  const send = (n: number, body: string) => raw(c, `{"id":${1000 + n},${body}}`, 1000 + n);

  // rpc data with __proto__ / constructor: refused by strict schemas or kept as plain data.
  const r1 = await send(1, '"rpc":{"method":"publish","data":{"channel":"room","data":1,"__proto__":{"polluted":true}}}');
  assert.equal(r1.error?.code, 107, JSON.stringify(r1));
  assert.ok((await c.call('rpc', { method: 'channel.create', data: { channel: 'mine' } })).rpc);
  const r2 = await send(2, '"rpc":{"method":"channel.update","data":{"channel":"mine","data":{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":1}}}}}');
  assert.ok(r2.rpc, JSON.stringify(r2));
  const r3 = await send(3, '"publish":{"channel":"room","data":{"__proto__":{"polluted":true},"text":"hi"}}');
  assert.equal(r3.publish?.offset, 1, JSON.stringify(r3));
  const r4 = await send(4, '"rpc":{"method":"channel.create","data":{"channel":"x","__proto__":{"type":"open"}}}');
  assert.equal(r4.error?.code, 107, JSON.stringify(r4));
  const r5 = await send(5, '"rpc":{"method":"user.update","data":{"profile":{"__proto__":{"isAdmin":true},"name":"A"}}}');
  assert.ok(r5.rpc || r5.error?.code === 107, JSON.stringify(r5));
  const r6 = await send(6, '"history":{"channel":"room","__proto__":{"limit":0},"limit":1}');
  assert.ok(r6.history || r6.error, JSON.stringify(r6));
  // connect data __proto__ must not switch auto_subscribe on.
  const d = await rawClient(t, ts.wsUrl);
  const conn = await raw(d, `{"id":1,"connect":{"token":"${token}","data":{"__proto__":{"auto_subscribe":true}}}}`, 1);
  assert.ok(conn.connect, JSON.stringify(conn));
  assert.equal(conn.connect.subs, undefined);

  assert.equal(polluted(), false, 'Object.prototype was polluted in the server process');
  // Stored data comes back as the plain JSON that was sent.
  const h = await c.call('history', { channel: 'room', limit: 1 });
  assert.equal(h.history.publications[0].data.text, 'hi');
  assert.equal(Object.getPrototypeOf(h.history.publications[0].data), Object.prototype);
  const ch = await api(ts, app, 'GET', '/channels/room');
  assert.equal(ch.body.type, 'members');
  // HTTP bodies with __proto__ are refused outright.
  const res = await fetch(`${ts.url}/v1/apps/${app.id}/channels`, {
    method: 'POST',
    headers: { 'x-api-key': app.secret, 'content-type': 'application/json' },
    body: '{"channel":"y","__proto__":{"type":"open"}}',
  });
  assert.equal(res.status, 400);
  assert.equal((await api(ts, app, 'GET', '/channels/y')).status, 404);
  assert.equal(polluted(), false);
});
