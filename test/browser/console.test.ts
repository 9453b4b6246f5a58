// The admin console in a real Chromium, served by XPUSH at /admin: log in with the admin token,
// create an app, watch a publication arrive live in the inspector, publish from the tester, kick a
// connection (the kicked client sees its disconnect), log in with an app secret. Screenshots go to
// test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.ts';
import { api } from '../helpers/clients.ts';
import { launchChromium, noChromium, screenshot, watchErrors } from '../helpers/browser.ts';
import { loggedIn, waitFor } from '../e2e/sdk-kit.ts';

test('admin console: login, create an app, live inspector, publish tester, kick, app-secret login', { skip: noChromium, timeout: 90_000 }, async (t) => {
  const srv = await startServer(t);
  const browser = await launchChromium(t);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchErrors(page);

  // 1. Log in with the admin token; a wrong one is refused first.
  await page.goto(`${srv.url}/admin`);
  await page.fill('#login-token', 'wrong-token');
  await page.click('#login-submit');
  await page.waitForSelector('#login-error:has-text("Login failed")');
  await page.fill('#login-token', srv.adminToken);
  await page.click('#login-submit');
  await page.waitForSelector('h2:has-text("Apps")');

  // 2. Create an app from the console and work on it.
  await page.fill('#new-app-name', 'shop');
  await page.click('#create-app');
  const appId = (await page.textContent('#created-app-id'))!.trim();
  const secret = (await page.textContent('#created-app-secret'))!.trim();
  assert.match(appId, /^app_/);
  assert.match(secret, /^sk_/);
  const listed = (await api(srv, { id: appId, key: '', secret }, 'GET', '/channels')).status;
  assert.equal(listed, 200, 'the app exists on the server with that secret');
  await screenshot(page, 'console-apps');
  await page.click('#app-created button:has-text("Use this app")');
  await page.waitForSelector('h2:has-text("Channels")');
  assert.match((await page.textContent('#current-app'))!, new RegExp(appId));

  // 3. Create an open channel in the console; users join it from Node with the XPush SDK.
  const keyOf = await srv.http('GET', `/v1/admin/apps/${appId}`, undefined, { authorization: `Bearer ${srv.adminToken}` });
  const app = { id: appId, key: keyOf.body.key as string, secret };
  await page.fill('#new-channel-name', 'lobby');
  await page.selectOption('#new-channel-type', 'open');
  await page.click('#create-channel');
  await page.waitForSelector('td:has-text("lobby")');
  const alice = await loggedIn(t, srv, app, 'alice', 'laptop');
  const bob = await loggedIn(t, srv, app, 'bob', 'phone');
  await alice.xp.joinChannel('lobby');
  await bob.xp.joinChannel('lobby');
  await alice.xp.send('lobby', 'chat', { text: 'before the inspector opened' });

  // 4. The inspector: history first, then a publication arriving live.
  await page.goto(`${srv.url}/admin#/inspector?channel=lobby`);
  await page.waitForSelector('#live-status:has-text("live")');
  await page.waitForSelector('#messages tr[data-offset="1"]:has-text("before the inspector opened")');
  const ack = await alice.xp.send('lobby', 'chat', { text: 'hello, inspector' });
  const row = await page.waitForSelector(`#messages tr[data-offset="${ack.offset}"]`, { timeout: 5000 });
  const cells = await row.$$eval('td', (tds) => tds.map((td) => td.textContent));
  assert.equal(cells[2], 'chat');
  assert.equal(cells[3], 'alice');
  assert.equal(cells[4], 'laptop');
  assert.match(cells[5]!, /hello, inspector/);
  assert.equal(await page.getAttribute('#messages tr:first-child', 'data-offset'), String(ack.offset), 'newest on top');
  await screenshot(page, 'console-inspector');

  // 5. The publish tester: stored through the server API, seen by bob and by the inspector.
  await page.goto(`${srv.url}/admin#/publish?channel=lobby`);
  await page.fill('#pub-event', 'notice');
  await page.fill('#pub-data', '{"text": "from the console"}');
  await page.click('#pub-send');
  await page.waitForSelector('#pub-result:has-text("Stored at offset 3")');
  await waitFor('bob got the notice', () => bob.messages.find((m) => m.event === 'notice'));
  await page.fill('#pub-data', '{not json');
  await page.click('#pub-send');
  await page.waitForSelector('#pub-result:has-text("data is not JSON")');
  await page.fill('#pub-data', '{"text": "x"}');
  await page.fill('#pub-channel', 'no-such-channel');
  await page.click('#pub-send');
  await page.waitForSelector('#pub-result:has-text("Refused")');

  // History paging: the newest 50, then older ones on demand.
  await api(srv, app, 'POST', '/channels', { channel: 'busy' });
  for (let i = 1; i <= 55; i++) await api(srv, app, 'POST', '/publish', { channel: 'busy', data: { n: i } });
  await page.goto(`${srv.url}/admin#/inspector?channel=busy`);
  await page.waitForSelector('#live-status:has-text("live")');
  assert.equal(await page.locator('#messages tr').count(), 50);
  assert.equal(await page.getAttribute('#messages tr:last-child', 'data-offset'), '6');
  await page.click('button:has-text("Older")');
  await page.waitForSelector('#messages tr[data-offset="1"]');
  assert.equal(await page.locator('#messages tr').count(), 55);
  await page.waitForSelector('main:has-text("Start of the channel.")');

  // 6. Connections: both users, cluster-wide list; kick alice, who sees her disconnect.
  await page.goto(`${srv.url}/admin#/connections`);
  await page.waitForSelector(`tr[data-user="alice"]`);
  await page.waitForSelector(`tr[data-user="bob"]`);
  assert.match((await page.textContent('#presence'))!, /lobby.*alice, bob/);
  await screenshot(page, 'console-connections');
  await page.fill('#kick-reason', 'kicked from the console');
  await page.click(`tr[data-user="alice"] button:has-text("Disconnect")`);
  const dropped = await waitFor('alice disconnected', () => alice.events.find((e) => e.name === 'disconnected'));
  assert.deepEqual(dropped.args[0], { code: 3503, reason: 'kicked from the console', reconnecting: false });
  await page.waitForSelector(`tr[data-user="alice"]`, { state: 'detached' });
  assert.equal(bob.xp.state, 'connected');

  // 7. Users, channels, nodes and metrics pages render with the data behind them.
  await page.goto(`${srv.url}/admin#/users?open=bob`);
  await page.waitForSelector('#user-detail td:has-text("phone")');
  await page.goto(`${srv.url}/admin#/channels?open=lobby`);
  await page.waitForSelector('#channel-detail h3:has-text("Presence (1 connection(s))")');
  await page.goto(`${srv.url}/admin#/nodes`);
  await page.waitForSelector(`#nodes td:has-text("${srv.server.nodeId}")`);
  await page.waitForSelector('#nodes td:has-text("100.0%")');
  await page.goto(`${srv.url}/admin#/metrics`);
  await page.waitForSelector('#metric-series td:has-text("xpush_connections")');
  await screenshot(page, 'console-metrics');

  // Channel members and deletion, a user's connections, app deletion: the confirm dialogs accepted.
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${srv.url}/admin#/channels?open=busy`);
  await page.waitForSelector('#channel-detail h3:has-text("Members (0)")');
  await page.fill('#add-members', 'bob');
  await page.click('#channel-detail button:has-text("Add members")');
  await page.waitForSelector('#channel-detail h3:has-text("Members (1)")');
  assert.deepEqual((await api(srv, app, 'GET', '/channels/busy')).body.members, ['bob']);
  await page.click('#channel-detail tr:has-text("bob") button:has-text("Remove")');
  await page.waitForSelector('#channel-detail h3:has-text("Members (0)")');
  await page.click('#channel-detail button:has-text("Delete")');
  await page.waitForSelector('#channel-detail h3', { state: 'detached' });
  assert.equal((await api(srv, app, 'GET', '/channels/busy')).status, 404);
  await page.goto(`${srv.url}/admin#/users?open=bob`);
  await page.click('#user-detail button:has-text("Disconnect all")');
  const bobDropped = await waitFor('bob disconnected', () => bob.events.find((e) => e.name === 'disconnected'));
  assert.equal((bobDropped.args[0] as { code: number }).code, 3503);
  const spare = await srv.createApp('spare');
  await page.goto(`${srv.url}/admin#/apps`);
  await page.click(`tr[data-app="${spare.id}"] button:has-text("Delete")`);
  await page.waitForSelector(`tr[data-app="${spare.id}"]`, { state: 'detached' });
  assert.equal((await srv.http('GET', `/v1/admin/apps/${spare.id}`, undefined, { authorization: `Bearer ${srv.adminToken}` })).status, 404);

  // 8. Log out; log in with the app id and secret: that app's pages, no admin pages.
  await page.click('button:has-text("Log out")');
  await page.click('button:has-text("App secret")');
  await page.fill('#login-app', appId);
  await page.fill('#login-secret', 'sk_wrong');
  await page.click('#login-submit');
  await page.waitForSelector('#login-error:has-text("Login failed")');
  await page.fill('#login-secret', secret);
  await page.click('#login-submit');
  await page.waitForSelector('td:has-text("lobby")');
  await page.goto(`${srv.url}/admin#/apps`);
  await page.waitForSelector('main:has-text("Apps needs the admin token")');

  // The console stored the credential in sessionStorage only: no cookie, nothing in the URL.
  assert.deepEqual(await page.context().cookies(), []);
  assert.doesNotMatch(page.url(), /sk_|adm_|test-admin-token/);
  assert.deepEqual(errors, [
    '401 GET /v1/admin/apps', // the wrong admin token
    `404 POST /v1/apps/${appId}/publish`, // the publish to a missing channel
    `401 GET /v1/apps/${appId}/channels`, // the wrong app secret
  ]);
});
