import type { BrowserContext, Page } from 'playwright-core';
import { PASSWORDS, type Username } from '../http/api-harness';
import type { SupervisorHarness } from '../reports/supervisor-harness';

const T = { timeout: 8000 };

/** Open a supervisor/admin page, log in on its form, wait until `ready` shows and the live channel is open. */
export async function openAs(s: SupervisorHarness, context: BrowserContext, page: string, username: Username, ready: string): Promise<Page> {
  const p = await context.newPage();
  p.on('pageerror', (err) => {
    throw err;
  });
  await p.goto(`${s.url}/${page}`);
  await p.locator('#username').fill(username);
  await p.locator('#password').fill(PASSWORDS[username]);
  await p.keyboard.press('Enter');
  await p.locator(ready).waitFor({ state: 'visible', ...T });
  await p.locator('#live-status[data-status="open"]').waitFor(T);
  return p;
}

