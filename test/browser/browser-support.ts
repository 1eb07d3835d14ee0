import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium; tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launch Debian's chromium, or skip the suite (say why) when it is not
 * installed — except on CI (CI=true), where a missing browser fails.
 * playwright's launch() gives every run a fresh temporary user-data-dir.
 */
export async function launchChromium(ctx: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    const why = `${CHROMIUM_PATH} is missing: install Debian's chromium package (apt-get install chromium) to run the browser tests`;
    if (process.env.CI === 'true') throw new Error(why);
    console.warn(`      [browser tests skipped] ${why}`);
    ctx.skip();
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Inside a describe(): one Chromium for the whole suite (launched by
 * launchChromium, so skipped with a reason where none is installed), closed
 * after it. Call the returned function inside hooks and tests.
 */
export function chromiumForSuite(): () => Browser {
  let browser: Browser | undefined;
  before(async function () {
    browser = await launchChromium(this);
  });
  after(async () => {
    await browser?.close();
    browser = undefined;
  });
  return () => {
    if (!browser) throw new Error('Chromium runs only inside its suite');
    return browser;
  };
}

/**
 * Where a browser test saves its screenshot: the README's copy under
 * docs/screenshots/ when SIAGA112_UPDATE_SCREENSHOTS=1, otherwise
 * test-results/ (ignored by git), so a test run leaves the tree clean.
 */
export function screenshotPath(name: string): string {
  const dir = process.env.SIAGA112_UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-results';
  const file = path.resolve(__dirname, '../..', dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  return file;
}
