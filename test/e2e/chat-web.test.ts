// The chat demo's server side (examples/chat-web): its app and lobby survive a restart, the page
// and its config and service worker are served, and the typing command reaches present users only, stores nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startChatDemo, LOBBY, DEMO_APP_NAME } from '../../examples/chat-web/server.ts';
import { startBuilt, testConfig } from './e2e-kit.ts';
import { api } from '../helpers/clients.ts';
import { loggedIn, waitFor } from './sdk-kit.ts';

test('chat demo: one app and one lobby across restarts; page, script and config served', async (t) => {
  const cfg = testConfig();
  const first = await startChatDemo(cfg);
  const id = first.demoApp.id;
  assert.deepEqual((await first.core.store.apps.list()).map((a) => a.name), [DEMO_APP_NAME]);
  await first.close();
  const second = await startChatDemo(cfg);
  const srv = await startBuilt(t, second, cfg.dataDir);
  assert.equal(second.demoApp.id, id, 'the same app after a restart');
  assert.equal((await second.core.store.apps.list()).length, 1);
  assert.equal((await second.core.store.channels.get(id, LOBBY))?.type, 'open');

  const config = await (await fetch(srv.url + '/chat/config.json')).json();
  assert.deepEqual(config, { app: id, appKey: second.demoApp.key, lobby: LOBBY });
  assert.doesNotMatch(JSON.stringify(config), /sk_/, 'the secret never reaches the page');
  const page = await fetch(srv.url + '/');
  assert.match(page.headers.get('content-type')!, /^text\/html/);
  assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
  assert.match(await page.text(), /<script type="module" src="\/chat\/app.js">/);
  const js = await fetch(srv.url + '/chat/app.js');
  assert.equal(js.status, 200);
  assert.ok((await js.text()).length > 10_000, 'the bundle holds the SDK');
  // The service worker at the root (its scope is the whole page), a classic script (no module syntax).
  const sw = await fetch(srv.url + '/sw.js');
  assert.match(sw.headers.get('content-type')!, /^text\/javascript/);
  const swText = await sw.text();
  assert.match(swText, /showNotification/);
  assert.doesNotMatch(swText, /^\s*(import|export)\b/m);
});

test('chat demo: typing reaches the other users present in the channel, nobody else, and is not stored', async (t) => {
  const cfg = testConfig();
  const server = await startChatDemo(cfg);
  const srv = await startBuilt(t, server, cfg.dataDir);
  const rec = (await server.core.store.apps.get(server.demoApp.id))!;
  const app = { id: rec.id, key: rec.key, secret: rec.secret };
  const alice = await loggedIn(t, srv, app, 'alice', 'web');
  const bob = await loggedIn(t, srv, app, 'bob', 'web');
  const carol = await loggedIn(t, srv, app, 'carol', 'web');
  await alice.xp.createChannel('pair', { members: ['bob'] });
  await waitFor('bob subscribed to pair', () => bob.events.find((e) => e.name === 'subscribed' && e.args[0] === 'pair'));
  const alicePresent = await waitFor('alice in presence', async () => (await bob.xp.presence('pair')).some((p) => p.user === 'alice'));
  assert.ok(alicePresent);

  const r = await bob.xp.rpc('typing', { channel: 'pair' });
  assert.deepEqual(r, { notified: 1 });
  const push = await waitFor('alice told bob types', () => alice.events.find((e) => e.name === 'push'));
  assert.deepEqual(push.args[0], { type: 'typing', channel: 'pair', user: 'bob' });
  assert.equal(bob.events.some((e) => e.name === 'push'), false, 'not to the typist');
  assert.equal(carol.events.some((e) => e.name === 'push'), false, 'not to a non-member');
  const history = await api(srv, app, 'GET', '/channels/pair/history');
  assert.deepEqual(history.body.publications, [], 'nothing stored');

  await assert.rejects(carol.xp.rpc('typing', { channel: 'pair' }), (e: any) => e.code === 103);
  await assert.rejects(carol.xp.rpc('typing', { channel: 'nope' }), (e: any) => e.code === 102);
  await assert.rejects(carol.xp.rpc('typing', {}), (e: any) => e.code === 107);
});
