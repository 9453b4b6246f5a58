import type { Page } from 'playwright-core';

/** What both demo-chat browser tests share: signing a new user up through the page's own form. */
export const PASSWORD = 'correct-horse-battery';

/** Registers `user` on the demo at `url` and waits until the page shows them signed in and online. */
export async function register(page: Page, url: string, user: string): Promise<void> {
  await page.goto(url);
  await page.fill('#user', user);
  await page.fill('#password', PASSWORD);
  await page.click('#register');
  await page.waitForSelector(`#me:has-text("${user}")`);
  await page.waitForSelector('#conn-state:has-text("online")');
}
