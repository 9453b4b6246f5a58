// Issue 8, item 1 (HTTP part): an access token stops working on every user-bearer HTTP route as soon
// as its device session is logged out or has expired, not when the token itself expires.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { userSession } from '../helpers/clients.ts';
import { waitFor } from './e2e-kit.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const devices = (ts: TestServer, app: TestApp, token: string) => ts.http('GET', `/v1/apps/${app.id}/me/devices`, undefined, bearer(token));
const logout = (ts: TestServer, app: TestApp, token: string) => ts.http('POST', `/v1/apps/${app.id}/auth/logout`, {}, bearer(token));

test('after logout the same access token gets 401 on /me/devices and on a second logout; other devices keep working', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const phone = await userSession(ts, app, 'alice', 'phone');
  const laptop = await userSession(ts, app, 'alice', 'laptop');
  assert.equal((await devices(ts, app, phone.accessToken)).status, 200);

  assert.equal((await logout(ts, app, phone.accessToken)).status, 200);

  const listed = await devices(ts, app, phone.accessToken);
  assert.equal(listed.status, 401, `a logged-out token must not list devices: ${JSON.stringify(listed.body)}`);
  assert.equal(listed.body.error.code, 101);
  assert.match(listed.body.error.message, /log in again/);
  const twice = await logout(ts, app, phone.accessToken);
  assert.equal(twice.status, 401, JSON.stringify(twice.body));
  assert.equal(twice.body.error.code, 101);

  // The laptop's session is untouched, and it no longer sees the phone.
  const mine = await devices(ts, app, laptop.accessToken);
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.body.devices.map((d: { device: string }) => d.device), ['laptop']);
});

test('an access token whose device session expired is refused on HTTP although the token itself is still valid', async (t) => {
  // The session (refresh token) lives 1 s, the access token 15 minutes.
  const ts = await startServer(t, { refreshTokenTtlSec: 1, accessTokenTtlSec: 900 });
  const app = await ts.createApp();
  const phone = await userSession(ts, app, 'alice', 'phone');
  assert.equal((await devices(ts, app, phone.accessToken)).status, 200);
  const r = await waitFor('the session to expire', async () => {
    const d = await devices(ts, app, phone.accessToken);
    return d.status !== 200 && d;
  });
  assert.equal(r.status, 401, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 101);
});

test('backend-minted tokens (no device session) keep working on /me/devices', async (t) => {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const minted = await ts.http('POST', `/v1/apps/${app.id}/tokens`, { user: 'ext-1' }, { 'x-api-key': app.secret });
  assert.equal(minted.status, 200);
  const r = await devices(ts, app, minted.body.token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.devices, []);
});
