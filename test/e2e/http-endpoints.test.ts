// Issue 9 item 2, by hand: the wire of /connection/http_stream, /connection/sse and POST /emulation
// as centrifuge-js 5 expects it (docs: shared/research/emulation.md), and every refusal a client can hit.
import { test } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, userSession } from '../helpers/clients.ts';
import { emulate, rawHttpStream, StreamReader } from '../helpers/http-transports.ts';
import { sdkProtobufCodec, fromSdk } from '../helpers/sdk-protobuf.ts';
import { waitFor } from './e2e-kit.ts';
import type { ConfigInput } from '../../src/config.ts';

async function setup(t: Parameters<typeof startServer>[0], config: ConfigInput = {}): Promise<{ ts: TestServer; app: TestApp; token: string }> {
  const ts = await startServer(t, config);
  const app = await ts.createApp();
  const bob = await userSession(ts, app, 'bob');
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['bob'] });
  return { ts, app, token: bob.accessToken };
}

const UUID = /^[0-9a-f-]{36}$/;

/** A fetch body from text or bytes (the DOM typings want an ArrayBuffer-backed view). */
function bytes(b: string | Uint8Array): string | Uint8Array<ArrayBuffer> {
  return typeof b === 'string' ? b : new Uint8Array(b);
}

test('http_stream: 200 at once, uncached and unbuffered; the connect reply carries session and node; later commands via /emulation are answered on the stream', async (t) => {
  const { ts, token } = await setup(t);
  const { s, connect } = await rawHttpStream(t, ts.url, token);
  assert.equal(s.headers.get('content-type'), 'application/json');
  assert.match(s.headers.get('cache-control') ?? '', /no-cache/);
  assert.equal(s.headers.get('x-accel-buffering'), 'no');
  assert.match(connect.session, UUID);
  assert.notEqual(connect.session, connect.client);
  assert.equal(connect.node, ts.server.nodeId);
  assert.equal(connect.pong, true);

  // Several commands in one POST all run; the replies come on the stream, not in the response.
  const r = await emulate(ts.url, connect.session, connect.node, [
    { id: 2, subscribe: { channel: 'room' } },
    { id: 3, publish: { channel: 'room', data: { text: 'hi' } } },
  ]);
  assert.equal(r.status, 204);
  assert.equal(r.body, undefined);
  await s.waitFor((m) => m.id === 3);
  assert.ok(s.messages.find((m) => m.id === 2).subscribe, JSON.stringify(s.messages));
  await s.waitFor((m) => m.push?.pub?.offset === 1, 'own publication pushed');
  assert.equal((await emulate(ts.url, connect.session, connect.node, [{ id: 4, history: { channel: 'room', limit: 10 } }])).status, 204);
  assert.equal((await s.waitFor((m) => m.id === 4)).history.publications[0].data.text, 'hi');
  assert.ok(!/\n\n/.test(s.raw) && !s.raw.startsWith('\n'), 'never a blank line (centrifuge-js 5.7 cannot parse one)');
});

test('sse: text/event-stream opened with a blank line, one data: line per reply; GET without cf_connect → 400', async (t) => {
  const { ts, token } = await setup(t);
  const cf = encodeURIComponent(JSON.stringify({ id: 1, connect: { token } }));
  const s = await StreamReader.open(`${ts.url}/connection/sse?cf_connect=${cf}`, {}, 'sse', t);
  assert.equal(s.status, 200);
  assert.equal(s.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const c = (await s.waitFor((m) => m.id === 1)).connect;
  assert.ok(s.raw.startsWith('\r\n'), 'EventSource opens on the first bytes');
  assert.match(s.raw.slice(2), /^data: \{"id":1,"connect":/);
  assert.equal((await emulate(ts.url, c.session, c.node, [{ id: 2, rpc: { method: 'channel.list', data: {} } }])).status, 204);
  const rpc = await s.waitFor((m) => m.id === 2);
  assert.equal(rpc.rpc.data.channels.length, 1);

  const missing = await ts.http('GET', '/connection/sse');
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.code, 107);
  const empty = await fetch(`${ts.url}/connection/http_stream`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  assert.equal(empty.status, 400);
  assert.equal(((await empty.json()) as any).error.code, 107);
});

test('a stream that never answers pings is closed with 3012 (no pong) as a disconnect push, then the response ends', async (t) => {
  const { ts, app, token } = await setup(t, { pingIntervalMs: 500, pongTimeoutMs: 300 });
  const { s } = await rawHttpStream(t, ts.url, token);
  await s.waitFor((m) => Object.keys(m).length === 0, 'a ping', 3000);
  const d = await s.waitFor((m) => m.push?.disconnect, 'disconnect push', 3000);
  assert.equal(d.push.disconnect.code, 3012);
  await s.waitEnded();
  await waitFor('connection gone', () => ts.server.connections(app.id).length === 0);
});

test('a bad connect command on the stream ends it with a disconnect push (3501 malformed, 3500 bad token)', async (t) => {
  const { ts } = await setup(t);
  for (const [body, code] of [['{not json', 3501], [JSON.stringify({ id: 1, connect: { token: 'nope' } }), 3500]] as const) {
    const s = await StreamReader.open(`${ts.url}/connection/http_stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }, 'lines', t);
    assert.equal(s.status, 200);
    const d = await s.waitFor((m) => m.push?.disconnect, `disconnect for ${body}`);
    assert.equal(d.push.disconnect.code, code);
    await s.waitEnded();
  }
});

test('/emulation refusals: unknown node or session → 404, malformed → 400, oversize → 413, all as {error: {code, message}}', async (t) => {
  const { ts, token } = await setup(t, { maxMessageBytes: 8192, maxFrameBytes: 16384 });
  const { s, connect } = await rawHttpStream(t, ts.url, token);
  const node = ts.server.nodeId;
  const expectError = (r: { status: number; body: any }, status: number, code: number, what: string) => {
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body?.error?.code, code, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(typeof r.body.error.message, 'string');
  };
  const ping = [{ id: 9, rpc: { method: 'channel.list', data: {} } }];
  expectError(await emulate(ts.url, connect.session, 'no-such-node', ping), 404, 404, 'unknown node');
  expectError(await emulate(ts.url, 'no-such-session', node, ping), 404, 404, 'unknown session');
  const post = async (body: string | Buffer, type = 'application/json') => {
    const r = await fetch(`${ts.url}/emulation`, { method: 'POST', headers: { 'content-type': type }, body: bytes(body) });
    return { status: r.status, body: await r.json().catch(() => undefined) as any };
  };
  expectError(await post('{"session":'), 400, 107, 'malformed JSON');
  expectError(await post(JSON.stringify({ session: connect.session, data: '{}' })), 400, 107, 'no node');
  expectError(await post(JSON.stringify({ node, data: '{}' })), 400, 107, 'no session');
  expectError(await post(JSON.stringify({ session: connect.session, node })), 400, 107, 'no data');
  expectError(await post(JSON.stringify({ session: connect.session, node, data: { id: 2 } })), 400, 107, 'data not a string');
  expectError(await post(JSON.stringify([1, 2])), 400, 107, 'not an object');
  expectError(await post(Buffer.from([0x0a, 0xff, 0xff])), 400, 107, 'JSON body with bytes');
  expectError(await post(Buffer.from([0x0a, 0x20, 0x01]), 'application/octet-stream'), 400, 107, 'truncated Protobuf EmulationRequest');
  const codec = sdkProtobufCodec();
  expectError(await post(Buffer.from(codec.encodeEmulationRequest({ node: '', session: connect.session, data: new Uint8Array() })), 'application/octet-stream'), 400, 107, 'Protobuf EmulationRequest without node');
  expectError(await post(Buffer.from(codec.encodeEmulationRequest({ node, session: '', data: new Uint8Array() })), 'application/octet-stream'), 400, 107, 'Protobuf EmulationRequest without session');
  expectError(await post(JSON.stringify({ session: '', node, data: '{}' })), 400, 107, 'empty session');
  const big = JSON.stringify({ session: connect.session, node, data: JSON.stringify({ id: 3, publish: { channel: 'room', data: 'x'.repeat(20_000) } }) });
  expectError(await post(big), 413, 106, 'oversize');
  const bigStream = await fetch(`${ts.url}/connection/http_stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.parse(big).data });
  expectError({ status: bigStream.status, body: await bigStream.json() }, 413, 106, 'oversize http_stream connect body');
  // None of it reached the connection; it still works.
  assert.ok(!s.messages.some((m) => m.id === 9 || m.id === 3 || m.push?.disconnect), JSON.stringify(s.messages));
  assert.equal((await emulate(ts.url, connect.session, node, ping)).status, 204);
  await s.waitFor((m) => m.id === 9);

  // The stream ends (the client aborts): its session is gone.
  s.close();
  await waitFor('stream forgotten', () => ts.server.connections().length === 0);
  expectError(await emulate(ts.url, connect.session, node, ping), 404, 404, 'ended session');
});

test('CORS: preflights of /emulation and the stream endpoints get 204 with the allow headers; responses carry the origin', async (t) => {
  const { ts, token } = await setup(t);
  const origin = 'https://app.example';
  for (const path of ['/emulation', '/connection/http_stream', '/connection/sse']) {
    const r = await fetch(ts.url + path, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(r.status, 204, path);
    assert.equal(r.headers.get('access-control-allow-origin'), origin, path);
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/, path);
    assert.match(r.headers.get('access-control-allow-headers') ?? '', /content-type/i, path);
  }
  const { s, connect } = await rawHttpStream(t, ts.url, token, { origin });
  assert.equal(s.headers.get('access-control-allow-origin'), origin, 'the stream response');
  const e = await emulate(ts.url, connect.session, connect.node, [{}], { origin });
  assert.equal(e.status, 204);
  assert.equal(e.headers.get('access-control-allow-origin'), origin, 'the emulation response');
});

test('Protobuf http_stream by hand: varint-framed replies, and a Protobuf EmulationRequest (application/octet-stream) is routed', async (t) => {
  const { ts, token } = await setup(t);
  const codec = sdkProtobufCodec();
  const s = await StreamReader.open(`${ts.url}/connection/http_stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream' },
    body: bytes(codec.encodeCommands([{ id: 1, connect: { token, name: 'raw' } }])),
  }, 'protobuf', t);
  assert.equal(s.status, 200);
  assert.equal(s.headers.get('content-type'), 'application/octet-stream');
  const replies = () => s.frames.flatMap((f) => codec.decodeReplies(f).map((r) => fromSdk(r) as any));
  const connect = (await waitFor('connect reply', () => replies().find((r) => r.id === 1))).connect;
  assert.match(connect.session, UUID);
  assert.equal(connect.node, ts.server.nodeId);

  const body = codec.encodeEmulationRequest({
    node: connect.node, session: connect.session,
    data: codec.encodeCommands([{ id: 2, subscribe: { channel: 'room' } }, { id: 3, publish: { channel: 'room', data: Buffer.from('{"n":1}') } }]),
  });
  const r = await fetch(`${ts.url}/emulation`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes(body) });
  assert.equal(r.status, 204);
  await waitFor('publish reply', () => replies().find((x) => x.id === 3));
  const pub = await waitFor('publication push', () => replies().find((x) => x.push?.pub));
  assert.deepEqual(pub.push.pub.data, { n: 1 });
  assert.equal(pub.push.channel, 'room');
});

test('httpStreaming: false serves no stream endpoints', async (t) => {
  const { ts, token } = await setup(t, { httpStreaming: false });
  const r = await fetch(`${ts.url}/connection/http_stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 1, connect: { token } }) });
  assert.equal(r.status, 404);
  assert.equal((await ts.http('GET', `/connection/sse?cf_connect=${encodeURIComponent('{}')}`)).status, 404);
});

test('server.close() stays within shutdownTimeoutMs while a client holds a connection that sent no request yet', async (t) => {
  const ts = await startServer(t, { shutdownTimeoutMs: 1000 });
  const u = new URL(ts.url);
  const idle = net.connect(Number(u.port), u.hostname);
  await new Promise((r) => idle.once('connect', r));
  t.after(() => idle.destroy());
  const closing = ts.server.close();
  const inTime = await Promise.race([closing.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
  idle.destroy();
  await closing;
  assert.ok(inTime, 'server.close() took more than shutdownTimeoutMs + 2 s');
});
