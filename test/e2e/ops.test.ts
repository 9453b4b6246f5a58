import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { api, rawClient } from '../helpers/clients.ts';
import { VERSION } from '../../src/version.ts';

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
