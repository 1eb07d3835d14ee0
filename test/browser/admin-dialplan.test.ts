import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { screenshotPath } from './browser-support';
import { openAs, supervisorPagesInChromium } from './supervisor-pages';

const ROOT = path.resolve(__dirname, '../..');
const SCREENSHOT = screenshotPath('admin.png');
const T = { timeout: 8000 };

describe('Admin dialplan check and apply in Chromium (playwright-core)', function () {
  this.timeout(90_000);
  const pages = supervisorPagesInChromium();

  it('an admin checks a broken dialplan and sees file and line; apply is refused until it is fixed, then reloads through AMI', async () => {
    const { s, context } = pages;
    const target = path.join(s.dialplanDir, 'extensions_siaga112.conf');
    const good = readFileSync(target, 'utf8');
    copyFileSync(path.join(ROOT, 'test/fixtures/dialplans/wrong-app.conf'), target);
    const page = await openAs(s, context, 'admin.html', 'admin', '#admin');

    await page.locator('#btn-check').click();
    await page.locator('#check-result[data-ok="false"]').waitFor(T);
    const issue = page.locator('#check-issues li[data-code="wrong_app"]');
    expect(await issue.textContent()).to.match(/^dialplans\/extensions_siaga112\.conf:6: Stasis\(siaga-112\)/);
    expect(await issue.getAttribute('data-line')).to.equal('6');
    expect(await page.locator('#dp-files .ln[data-line="6"]').getAttribute('data-issue')).to.equal('error');

    await page.locator('#btn-apply').click();
    await page.locator('#apply-result[data-result="refused"]').waitFor(T);
    expect(await page.locator('#apply-result').textContent()).to.match(/Refused: The dialplan check found \d+ error/);
    await page.locator('#audit tr[data-action="dialplan.apply"][data-result="refused"]').waitFor(T);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The admin fixes the file on the server and tries again.
    writeFileSync(target, good);
    await page.locator('#btn-check').click();
    await page.locator('#check-result[data-ok="true"]').waitFor(T);
    expect(await page.locator('#check-issues li').count()).to.equal(0);
    await page.locator('#btn-apply').click();
    await page.locator('#apply-result[data-result="ok"]').waitFor(T);
    expect(await page.locator('#apply-result').textContent()).to.match(/Applied and verified: _11\[023589\]@siaga112-inbound → Stasis\(siaga112,inbound,\$\{EXTEN\}\)/);
    expect(await page.locator('#apply-result').textContent()).to.match(/Dialplan reloaded\./);
    await page.locator('#audit tr[data-action="dialplan.apply"][data-result="ok"]').waitFor(T);
    const entries = await s.audit.list({ action: 'dialplan.apply' });
    expect(entries.map((e) => `${e.actor}:${e.result}`)).to.deep.equal(['admin:ok', 'admin:refused']);
    expect(entries[0]!.details.reload).to.deep.equal(['Dialplan reloaded.']);
  });
});
