import type { BrowserContext, Page } from 'playwright-core';
import { PASSWORDS, type Username } from '../http/api-harness';
import { SupervisorHarness } from '../reports/supervisor-harness';
import { chromiumForSuite } from './browser-support';

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


/**
 * Inside a describe(): one Chromium for the suite, and for each test a fresh
 * SupervisorHarness and browser context (a desk-sized screen in Jakarta),
 * closed after it. Read `s` and `context` inside the tests.
 */
export function supervisorPagesInChromium(): { readonly s: SupervisorHarness; readonly context: BrowserContext } {
  const browser = chromiumForSuite();
  let harness: SupervisorHarness | undefined;
  let ctx: BrowserContext | undefined;
  beforeEach(async () => {
    harness = await SupervisorHarness.start();
    ctx = await browser().newContext({ viewport: { width: 1440, height: 1100 }, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
  });
  afterEach(async () => {
    await ctx?.close();
    await harness?.stop();
    ctx = undefined;
    harness = undefined;
  });
  return {
    get s() {
      if (!harness) throw new Error('the supervisor harness runs only inside a test');
      return harness;
    },
    get context() {
      if (!ctx) throw new Error('the browser context exists only inside a test');
      return ctx;
    },
  };
}
