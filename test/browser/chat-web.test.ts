// The web chat demo (examples/chat-web) in a real Chromium: two browser contexts register, chat,
// see unread badges, history scroll-back, presence and typing update; files and Web Push
// notifications are in chat-web-files-push.test.ts. Screenshots go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startChatDemo, LOBBY } from '../../examples/chat-web/server.ts';
import { startBuilt, testConfig } from '../e2e/e2e-kit.ts';
import { api } from '../helpers/clients.ts';
import { launchChromium, noChromium, screenshot, watchErrors } from '../helpers/browser.ts';
import { register as registerUser } from './chat-demo-kit.ts';

/** Registers through the form, then waits for the lobby to be the open room. */
async function register(page: Page, url: string, user: string): Promise<void> {
  await registerUser(page, url, user);
  await page.waitForSelector(`#room-title:has-text("# ${LOBBY}")`);
}

const badge = (page: Page, channel: string) => page.locator(`li[data-channel="${channel}"] .badge`);

test('chat demo: two browsers chat with unread badges, scroll-back, presence and typing', { skip: noChromium, timeout: 90_000 }, async (t) => {
  // A closed browser's socket just vanishes (no close frame): it leaves presence after presenceDelayMs.
  const cfg = testConfig({ presenceDelayMs: 1500 });
  const server = await startChatDemo(cfg);
  const srv = await startBuilt(t, server, cfg.dataDir);
  const rec = (await server.core.store.apps.get(server.demoApp.id))!;
  const app = { id: rec.id, key: rec.key, secret: rec.secret };
  // 40 older messages in the lobby, for the scroll-back.
  for (let i = 1; i <= 40; i++) await api(srv, app, 'POST', '/publish', { channel: LOBBY, event: 'chat', data: { text: `old message ${i}` } });

  const browser = await launchChromium(t);
  const ctxA = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const ctxB = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const a = await ctxA.newPage();
  const b = await ctxB.newPage();
  const errorsA = watchErrors(a);
  const errorsB = watchErrors(b);

  // Register alice: she lands in the lobby with its newest page; older pages load as she scrolls up.
  await register(a, srv.url + '/', 'alice');
  await a.waitForSelector('#log .msg[data-offset="40"]');
  assert.equal(await a.locator('#log .msg').count(), 30);
  await a.$eval('#log', (el) => { el.scrollTop = 0; }); // scrolling to the top loads the page before
  await a.waitForSelector('#log .msg[data-offset="1"]:has-text("old message 1")');
  assert.equal(await a.locator('#log .msg').count(), 40);
  await a.waitForSelector('#log:has-text("Beginning of the channel")');

  // Bob arrives: alice sees him come online; bob sees both.
  await register(b, srv.url + '/', 'bob');
  await a.waitForSelector('#presence [data-user="bob"]');
  await b.waitForSelector('#presence [data-user="alice"]');

  // Alice creates a channel with bob: it appears in bob's list without a reload.
  await a.fill('#new-channel', 'pair');
  await a.fill('#new-members', 'bob');
  await a.click('#create');
  await a.waitForSelector('#room-title:has-text("# pair")');
  await b.waitForSelector('li[data-channel="pair"]');

  // Bob stays in the lobby; alice writes twice in pair: bob's badge counts 2, the title too.
  for (const text of ['hi bob', 'are you there?']) {
    await a.fill('#message', text);
    await a.press('#message', 'Enter');
  }
  await a.waitForSelector('#log .msg:has-text("are you there?")');
  await b.waitForFunction(() => document.querySelector('li[data-channel="pair"] .badge')?.textContent === '2');
  assert.equal(await b.title(), '(2) XPUSH chat');
  // A lobby message from alice counts for bob? He has the lobby open: no badge there.
  await a.click('li[data-channel="general"]');
  await a.fill('#message', 'hello lobby');
  await a.press('#message', 'Enter');
  await b.waitForSelector('#log .msg:has-text("hello lobby")');
  assert.equal(await badge(b, LOBBY).count(), 0);
  await screenshot(b, 'chat-web-bob-unread');

  // Bob opens pair: the messages are there and the badge is gone; alice, now in the lobby, gets a
  // badge for bob's reply. Typing shows on alice's side while bob types in the lobby.
  await b.click('li[data-channel="pair"]');
  await b.waitForSelector('#log .msg:has-text("are you there?")');
  assert.equal(await badge(b, 'pair').count(), 0);
  await b.fill('#message', 'yes!');
  await b.press('#message', 'Enter');
  await a.waitForFunction(() => document.querySelector('li[data-channel="pair"] .badge')?.textContent === '1');
  await b.click('li[data-channel="general"]');
  await b.waitForSelector(`#room-title:has-text("# ${LOBBY}")`);
  await b.type('#message', 'typing here', { delay: 20 });
  await a.waitForSelector('#typing:has-text("bob is typing…")');
  await screenshot(a, 'chat-web-alice-typing');
  await b.press('#message', 'Enter');
  await a.waitForSelector('#log .msg:has-text("typing here")');
  await a.waitForFunction(() => document.querySelector('#typing')?.textContent === '', undefined, { timeout: 4000 });

  // Alice reads pair: bob's reply, her badge cleared.
  await a.click('li[data-channel="pair"]');
  await a.waitForSelector('#log .msg:has-text("yes!")');
  assert.equal(await badge(a, 'pair').count(), 0);

  // Bob leaves (closes his browser): alice's presence updates.
  await ctxB.close();
  await a.waitForSelector('#presence [data-user="bob"]', { state: 'detached', timeout: 10_000 });
  assert.match((await a.textContent('#presence'))!, /alice/);

  await screenshot(a, 'chat-web-alice');
  // A reload resumes the saved login (no form), back in the lobby.
  await a.reload();
  await a.waitForSelector('#me:has-text("alice")');
  await a.waitForSelector('#conn-state:has-text("online")');
  assert.deepEqual(errorsA, []);
  assert.deepEqual(errorsB, []);
  await ctxA.close();
});
