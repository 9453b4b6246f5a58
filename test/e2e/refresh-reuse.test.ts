// Issue 8, item 6: presenting an already-rotated refresh token revokes the whole device session (the
// standard rotation rule), closes its sockets, and the legitimate holder must log in again. Two
// refreshes racing with one token within `refreshReuseGraceMs` are a benign race: the loser gets 409
// and the session lives on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { rawClient, userSession } from '../helpers/clients.ts';
import { waitFor } from './e2e-kit.ts';

const refresh = (ts: TestServer, app: TestApp, refreshToken: string) =>
  ts.http('POST', `/v1/apps/${app.id}/auth/refresh`, { refreshToken }, { 'x-app-key': app.key });
const devices = (ts: TestServer, app: TestApp, token: string) =>
  ts.http('GET', `/v1/apps/${app.id}/me/devices`, undefined, { authorization: `Bearer ${token}` });

test('a thief who refreshed first loses everything once the victim presents the rotated token', async (t) => {
  const ts = await startServer(t, { refreshReuseGraceMs: 0 });
  const app = await ts.createApp();
  const victim = await userSession(ts, app, 'alice', 'phone');
  const laptop = await userSession(ts, app, 'alice', 'laptop');
  // The thief copied the refresh token and rotates it twice before the victim comes back.
  const stolen1 = await refresh(ts, app, victim.refreshToken);
  assert.equal(stolen1.status, 200);
  const stolen2 = await refresh(ts, app, stolen1.body.refreshToken);
  assert.equal(stolen2.status, 200);
  const thiefSocket = await rawClient(t, ts.wsUrl);
  assert.ok((await thiefSocket.call('connect', { token: stolen2.body.accessToken })).connect);

  // The victim's token was rotated away: reuse detected, the whole session is revoked.
  const reuse = await refresh(ts, app, victim.refreshToken);
  assert.equal(reuse.status, 401, JSON.stringify(reuse.body));
  assert.equal(reuse.body.error.code, 101);
  assert.match(reuse.body.error.message, /already used.*revoked.*log in again/);

  // The thief's tokens are dead on every path: refresh, HTTP, and the live socket (3503).
  assert.equal((await refresh(ts, app, stolen2.body.refreshToken)).status, 401);
  assert.equal((await devices(ts, app, stolen2.body.accessToken)).status, 401);
  assert.deepEqual(await thiefSocket.waitClosed(), { code: 3503, reason: 'logged out' });
  const again = await rawClient(t, ts.wsUrl);
  again.sendRaw(JSON.stringify({ id: 1, connect: { token: stolen2.body.accessToken } }));
  assert.equal((await again.waitClosed()).code, 3500);

  // The victim logs in again; the user's other device was never affected.
  const fresh = await userSession(ts, app, 'alice', 'phone');
  assert.notEqual(fresh.session, victim.session);
  assert.equal((await devices(ts, app, fresh.accessToken)).status, 200);
  assert.equal((await refresh(ts, app, laptop.refreshToken)).status, 200);
});

test('a stolen token replayed after the victim rotated it revokes the session too', async (t) => {
  const ts = await startServer(t, { refreshReuseGraceMs: 0 });
  const app = await ts.createApp();
  const victim = await userSession(ts, app, 'alice', 'phone');
  const next = await refresh(ts, app, victim.refreshToken);
  assert.equal(next.status, 200);
  assert.equal((await refresh(ts, app, victim.refreshToken)).status, 401);
  // The legitimate, current token is refused too: the session is gone.
  const after = await refresh(ts, app, next.body.refreshToken);
  assert.equal(after.status, 401);
  assert.equal((await devices(ts, app, next.body.accessToken)).status, 401);
});

test('two refreshes racing with one token: one wins, the other gets 409 and the session lives; after the grace a replay revokes', async (t) => {
  const ts = await startServer(t, { refreshReuseGraceMs: 500 });
  const app = await ts.createApp();
  const s = await userSession(ts, app, 'alice', 'phone');
  const race = await Promise.all([refresh(ts, app, s.refreshToken), refresh(ts, app, s.refreshToken)]);
  assert.deepEqual(race.map((r) => r.status).sort(), [200, 409], JSON.stringify(race.map((r) => r.body)));
  const lost = race.find((r) => r.status === 409)!;
  assert.equal(lost.body.error.code, 409);
  assert.match(lost.body.error.message, /concurrent/);
  const won = race.find((r) => r.status === 200)!.body;
  // The winner's pair works: the race revoked nothing.
  assert.equal((await devices(ts, app, won.accessToken)).status, 200);
  const next = await refresh(ts, app, won.refreshToken);
  assert.equal(next.status, 200, JSON.stringify(next.body));

  // Replaying the first token keeps getting 409 inside the grace window; once it has passed, the
  // replay is reuse and revokes the session.
  const replay = await waitFor('the grace window to pass', async () => {
    const r = await refresh(ts, app, s.refreshToken);
    assert.ok(r.status === 409 || r.status === 401, `unexpected ${r.status}`);
    return r.status === 401 && r;
  });
  assert.match(replay.body.error.message, /revoked/);
  assert.equal((await refresh(ts, app, next.body.refreshToken)).status, 401);
});

test('an unknown refresh token is a plain 401 and revokes nothing', async (t) => {
  const ts = await startServer(t, { refreshReuseGraceMs: 0 });
  const app = await ts.createApp();
  const s = await userSession(ts, app, 'alice', 'phone');
  const r = await refresh(ts, app, 'not-a-token-we-issued');
  assert.equal(r.status, 401);
  assert.doesNotMatch(r.body.error.message, /revoked for safety/);
  assert.equal((await refresh(ts, app, s.refreshToken)).status, 200);
});
