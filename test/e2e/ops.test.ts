import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { api, rawClient } from '../helpers/clients.ts';
import { VERSION } from '../../src/version.ts';
import http from 'node:http';

/** GET with any headers (Host included); resolves the JSON body of a 200. */
function getJson(url: string, headers: Record<string, string>): Promise<any> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${res.statusCode} ${body}`));
        else resolve(JSON.parse(body));
      });
    }).on('error', reject);
  });
}

test('operations endpoints: health, metrics, OpenAPI, nodes and node assignment in single-process mode', async (t) => {
  const ts = await startServer(t, { nodeId: 'solo' });
  const app = await ts.createApp();
  assert.deepEqual((await ts.http('GET', '/health')).body, { status: 'ok', node: 'solo', version: VERSION });

  const token = (await api(ts, app, 'POST', '/tokens', { user: 'alice' })).body.token;
  const c = await rawClient(t, ts.wsUrl);
  assert.ok((await c.call('connect', { token })).connect);
  const metrics = (await ts.http('GET', '/metrics')).body as string;
  assert.match(metrics, new RegExp(`^xpush_connections\\{app="${app.id}",node="solo"\\} 1$`, 'm'));

  const openapi = (await ts.http('GET', '/openapi.json')).body;
  assert.equal(openapi.openapi.startsWith('3'), true);
  assert.ok(openapi.paths['/v1/apps/{app}/publish'], 'server API documented');

  const nodes = (await ts.http('GET', '/v1/nodes', undefined, { authorization: `Bearer ${ts.adminToken}` })).body.nodes;
  assert.deepEqual(nodes.map((n: any) => [n.id, n.connections, n.url]), [['solo', 1, ts.wsUrl]]);
  // The node list (URLs, load) is for operators: the admin token is required (issue 8 item 14).
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${app.secret}` }] as Record<string, string>[]) {
    const r = await ts.http('GET', '/v1/nodes', undefined, headers);
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 101);
  }
  // The SDK's node lookups stay public.
  assert.deepEqual((await ts.http('GET', `/node/${app.id}/room`)).body, { node: { id: 'solo', url: ts.wsUrl } });
  assert.deepEqual((await ts.http('GET', `/node/${app.id}/user/alice`)).body, { node: { id: 'solo', url: ts.wsUrl } });
});

test('node assignment answers with the address the client used when this process is the node and no publicUrl is set', async (t) => {
  const ts = await startServer(t, { nodeId: 'solo', trustProxy: true });
  const app = await ts.createApp();
  const port = new URL(ts.url).port;
  // node:http, not fetch: fetch does not let a caller set Host.
  const ask = async (headers: Record<string, string>): Promise<string> => (await getJson(`${ts.url}/node/${app.id}/room`, headers)).node.url;
  // A browser that reached the server under a host name connects back under it, not to the bind address.
  assert.equal(await ask({ host: `chat.test:${port}` }), `ws://chat.test:${port}/connection/websocket`);
  // Behind a TLS-terminating proxy (trustProxy on): wss and the proxy's host.
  assert.equal(await ask({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example.com' }), 'wss://chat.example.com/connection/websocket');
  // The URL the client then gets really serves the WebSocket.
  const c = await rawClient(t, await ask({}));
  assert.ok((await c.call('connect', { token: (await api(ts, app, 'POST', '/tokens', { user: 'alice' })).body.token })).connect);
});

test('a configured publicUrl is what node assignment announces, whatever the request', async (t) => {
  const ts = await startServer(t, { nodeId: 'solo', publicUrl: 'wss://rt.example.com/connection/websocket' });
  const app = await ts.createApp();
  assert.deepEqual(await getJson(`${ts.url}/node/${app.id}/user/alice`, { host: 'elsewhere.test' }), { node: { id: 'solo', url: 'wss://rt.example.com/connection/websocket' } });
});
