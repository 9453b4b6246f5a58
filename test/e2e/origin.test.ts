// Issue 9 item 4: allowedOrigins guards every connection endpoint — the WebSocket upgrade, the
// HTTP streams, SSE, emulation and the unidirectional streams — against other sites' pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from '../helpers/server.ts';
import { api, userSession } from '../helpers/clients.ts';
import { emulate, rawHttpStream, StreamReader, type StreamRequest } from '../helpers/http-transports.ts';

const GOOD = ['https://good.example', 'https://a.good.example', 'https://x.y.good.example', undefined];
const BAD = ['https://evil.example', 'http://good.example', 'https://good.example.evil.com', 'https://evilgood.example', 'null'];

/** The status of a WebSocket upgrade with `origin`: 101 when it opened. */
function upgrade(url: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.once('open', () => { ws.close(); resolve(101); });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('error', (err) => reject(err));
  });
}

test('allowedOrigins: a bad origin is refused on every connection endpoint; good origins, wildcard subdomains and no Origin pass', async (t) => {
  const ts = await startServer(t, { allowedOrigins: ['https://good.example', 'https://*.good.example'] });
  const app = await ts.createApp();
  const bob = await userSession(ts, app, 'bob');
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['bob'] });
  const token = bob.accessToken;
  const connectCmd = JSON.stringify({ id: 1, connect: { token } });
  const uniReq = JSON.stringify({ token });
  const { connect } = await rawHttpStream(t, ts.url, token); // a live session for the emulation checks

  const refused = (status: number, body: any, what: string) => {
    assert.equal(status, 403, `${what}: ${status} ${JSON.stringify(body)}`);
    assert.equal(body?.error?.code, 103, `${what}: ${JSON.stringify(body)}`);
    assert.match(body.error.message, /origin .* is not allowed/, what);
  };
  const open = async (origin: string | undefined, path: string, init: StreamRequest, format: 'lines' | 'sse') => {
    const headers = { ...init.headers, ...(origin ? { origin } : {}) };
    return StreamReader.open(ts.url + path, { ...init, headers }, format, t);
  };
  const endpoints: [string, (o: string | undefined) => Promise<StreamReader>][] = [
    ['http_stream', (o) => open(o, '/connection/http_stream', { method: 'POST', headers: { 'content-type': 'application/json' }, body: connectCmd }, 'lines')],
    ['sse', (o) => open(o, `/connection/sse?cf_connect=${encodeURIComponent(connectCmd)}`, {}, 'sse')],
    ['uni_sse', (o) => open(o, `/connection/uni_sse?cf_connect=${encodeURIComponent(uniReq)}`, {}, 'sse')],
    ['uni_http_stream', (o) => open(o, '/connection/uni_http_stream', { method: 'POST', headers: { 'content-type': 'application/json' }, body: uniReq }, 'lines')],
  ];

  for (const origin of BAD) {
    assert.equal(await upgrade(ts.wsUrl, origin), 403, `websocket from ${origin}`);
    for (const [name, go] of endpoints) {
      const s = await go(origin);
      refused(s.status, s.messages[0], `${name} from ${origin}`);
    }
    const e = await emulate(ts.url, connect.session, connect.node, [{}], { origin });
    refused(e.status, e.body, `emulation from ${origin}`);
  }
  assert.equal(ts.server.connections(app.id).length, 1, 'only the first stream connected');

  for (const origin of GOOD) {
    assert.equal(await upgrade(ts.wsUrl, origin), 101, `websocket from ${origin}`);
    for (const [name, go] of endpoints) {
      const s = await go(origin);
      assert.equal(s.status, 200, `${name} from ${origin}: ${s.raw}`);
      const first = await s.waitFor((m) => m.connect || m.id === 1, `${name} connect from ${origin}`);
      assert.ok(first.connect, `${name} from ${origin}: ${JSON.stringify(first)}`);
      s.close();
    }
    assert.equal((await emulate(ts.url, connect.session, connect.node, [{}], origin ? { origin } : {})).status, 204, `emulation from ${origin}`);
  }
});

test('allowedOrigins defaults to any origin', async (t) => {
  const ts = await startServer(t);
  assert.deepEqual(ts.server.config.allowedOrigins, ['*']);
  assert.equal(await upgrade(ts.wsUrl, 'https://anything.example'), 101);
});
