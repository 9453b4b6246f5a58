// Regressions for what the API fuzzer (test/fuzz/openapi.test.ts) found, each over real HTTP: the
// bad input is refused with a typed 400 naming the field, and nothing changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { api } from '../helpers/clients.ts';

const BAD_URLS = ['https://[oops', 'https://exa%mple.com/', 'https://:443/x'];

test('push providers: a URL the URL parser refuses is refused when set, not at the first delivery', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const admin = { authorization: `Bearer ${ts.adminToken}` };
  const base = `/v1/admin/apps/${app.id}/push`;
  const before = (await ts.http('GET', base, undefined, admin)).body;
  const serviceAccount = { project_id: 'p-1', client_email: 'sa@p-1.example', private_key: 'k'.repeat(120) };
  const apns = { key: 'k'.repeat(120), keyId: 'ABCDE12345', teamId: 'TEAM123456', topic: 'com.example.app' };
  for (const bad of BAD_URLS) {
    const cases: [string, unknown, string][] = [
      ['webpush', { subject: bad }, 'subject'],
      ['fcm', { serviceAccount, baseUrl: bad }, 'baseUrl'],
      ['fcm', { serviceAccount, tokenUrl: bad }, 'tokenUrl'],
      ['apns', { ...apns, productionUrl: bad }, 'productionUrl'],
      ['apns', { ...apns, sandboxUrl: bad }, 'sandboxUrl'],
    ];
    for (const [provider, body, field] of cases) {
      const r = await ts.http('PUT', `${base}/${provider}`, body, admin);
      assert.equal(r.status, 400, `${provider} ${field}=${bad}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 107);
      assert.match(r.body.error.message, new RegExp(`^${field}: `));
    }
  }
  assert.match((await ts.http('PUT', `${base}/webpush`, { subject: 'mailto:' }, admin)).body.error.message, /subject/);
  assert.deepEqual((await ts.http('GET', base, undefined, admin)).body, before, 'refusals changed nothing');
  // A good subject is still taken.
  assert.equal((await ts.http('PUT', `${base}/webpush`, { subject: 'https://ops.example.com/contact' }, admin)).status, 200);
});

test('app settings: proxy and webhook URLs the URL parser refuses are refused at create and at PATCH', async (t) => {
  const ts = await startServer(t);
  const admin = { authorization: `Bearer ${ts.adminToken}` };
  const app = await ts.createApp();
  const settings = `/v1/admin/apps/${app.id}/settings`;
  const before = (await ts.http('GET', settings, undefined, admin)).body;
  for (const bad of BAD_URLS) {
    for (const [patch, field] of [[{ proxy: { connectUrl: bad } }, 'proxy.connectUrl'], [{ proxy: { rpcUrl: bad } }, 'proxy.rpcUrl'], [{ webhooks: { url: bad } }, 'webhooks.url']] as const) {
      const r = await ts.http('PATCH', settings, patch, admin);
      assert.equal(r.status, 400, `${field}=${bad}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 107);
      assert.match(r.body.error.message, new RegExp(`^${field.replace('.', '\\.')}: `));
      const c = await ts.http('POST', '/v1/admin/apps', { name: 'bad', settings: patch }, admin);
      assert.equal(c.status, 400, `create with ${field}=${bad}`);
    }
  }
  assert.deepEqual((await ts.http('GET', settings, undefined, admin)).body, before, 'refusals changed nothing');
  assert.equal((await ts.http('GET', '/v1/admin/apps', undefined, admin)).body.apps.length, 1, 'no app was created');
  // '' still means off, and a good URL is still taken.
  const ok = await ts.http('PATCH', settings, { proxy: { connectUrl: 'https://backend.example/connect' }, webhooks: { url: '' } }, admin);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.settings.proxy.connectUrl, 'https://backend.example/connect');
});

test('the channel watch stream and the file download are documented with their own content types', async (t) => {
  const ts = await startServer(t);
  const spec = (await ts.http('GET', '/openapi.json')).body;
  const watch = spec.paths['/v1/apps/{app}/channels/{channel}/watch'].get.responses;
  assert.deepEqual(watch['200'].content['text/event-stream'].schema.properties.event.anyOf.map((s: { const?: string; enum?: string[] }) => s.const ?? s.enum?.[0]), ['message', 'ready', 'end']);
  const dl = spec.paths['/v1/apps/{app}/channels/{channel}/files/{file}'].get.responses;
  assert.ok(dl['200'].content['*/*'] && dl['206'].content['*/*']);
  // Every event the stream sends fits that schema: event name and JSON text.
  const app = await ts.createApp();
  assert.equal((await api(ts, app, 'POST', '/channels', { channel: 'room' })).status, 201);
  await api(ts, app, 'POST', '/publish', { channel: 'room', data: { n: 1 } });
  const ctrl = new AbortController();
  const res = await fetch(`${ts.url}/v1/apps/${app.id}/channels/room/watch?after=0`, { headers: { 'x-api-key': app.secret }, signal: ctrl.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('event: ready')) text += new TextDecoder().decode((await reader.read()).value);
  ctrl.abort();
  const events = text.split('\n\n').filter((b) => b.includes('data: ')).map((b) => ({ event: /^event: (.*)$/m.exec(b)?.[1] ?? 'message', data: JSON.parse(/^data: (.*)$/m.exec(b)![1]) }));
  assert.deepEqual(events.map((e) => e.event), ['message', 'ready']);
});

test('integers beyond what JSON carries exactly are refused, not stored and answered as 1e+36', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const admin = { authorization: `Bearer ${ts.adminToken}`, 'content-type': 'application/json' };
  const huge = '1' + '0'.repeat(36);
  const patch = await fetch(`${ts.url}/v1/admin/apps/${app.id}/settings`, { method: 'PATCH', headers: admin, body: `{"limits":{"maxMembersPerChannel":${huge}}}` });
  assert.equal(patch.status, 400);
  assert.match(((await patch.json()) as { error: { message: string } }).error.message, /limits\.maxMembersPerChannel: must be <= 9007199254740991/);
  const limits = await ts.http('GET', `/v1/admin/apps/${app.id}/limits`, undefined, admin);
  assert.deepEqual(limits.body.overrides, {}, 'nothing stored');
  const ch = await fetch(`${ts.url}/v1/apps/${app.id}/channels`, { method: 'POST', headers: { 'x-api-key': app.secret, 'content-type': 'application/json' }, body: `{"channel":"c","retention":{"maxCount":${huge}}}` });
  assert.equal(ch.status, 400);
  assert.equal((await api(ts, app, 'GET', '/channels/c')).status, 404);
  const q = await api(ts, app, 'GET', `/channels/c/history?after=${huge}`);
  assert.equal(q.status, 400);
  // The largest exact integer is still fine.
  assert.equal((await ts.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { limits: { maxMembersPerChannel: Number.MAX_SAFE_INTEGER } }, admin)).status, 200);
});
