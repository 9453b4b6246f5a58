import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { startServer } from '../helpers/server.ts';
import { api, rawClient } from '../helpers/clients.ts';

const sign = (secret: string, app: string, sub: string, exp: number) =>
  new SignJWT({ app }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(exp).sign(new TextEncoder().encode(secret));

test('browsers on other origins may call the HTTP API (CORS), limited by corsOrigins', async (t) => {
  const open = await startServer(t);
  const pre = await fetch(open.url + '/v1/apps/x/auth/login', { method: 'OPTIONS', headers: { origin: 'https://chat.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-app-key' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://chat.example');
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /x-app-key/);

  const closed = await startServer(t, { corsOrigins: ['https://chat.example'] });
  const ok = await fetch(closed.url + '/health', { headers: { origin: 'https://chat.example' } });
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://chat.example');
  const other = await fetch(closed.url + '/health', { headers: { origin: 'https://evil.example' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null, 'an origin not listed gets no CORS grant');
});

test('an expired connection survives the grace period, can refresh in it, and is closed with 3005 after it', async (t) => {
  const ts = await startServer(t, { tokenExpiryGraceMs: 1200 });
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/tokens', { user: 'alice' });
  const exp = Math.floor(Date.now() / 1000) + 1;
  const a = await rawClient(t, ts.wsUrl);
  assert.ok((await a.call('connect', { token: await sign(app.secret, app.id, 'alice', exp) })).connect);
  const b = await rawClient(t, ts.wsUrl);
  assert.ok((await b.call('connect', { token: await sign(app.secret, app.id, 'alice', exp) })).connect);
  await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 300));
  assert.equal(a.closed, undefined, 'still open inside the grace period');
  // b refreshes inside the grace period and stays; a does not and is closed.
  const r = await b.call('refresh', { token: await sign(app.secret, app.id, 'alice', exp + 60) });
  assert.ok(r.refresh?.ttl > 30, JSON.stringify(r));
  assert.equal((await a.waitClosed(3000)).code, 3005);
  assert.ok(Date.now() >= exp * 1000 + 1200);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(b.closed, undefined);
});
