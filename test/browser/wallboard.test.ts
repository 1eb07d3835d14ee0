import { expect } from 'chai';
import { PASSWORDS, waitFor } from '../http/api-harness';
import { openAs, supervisorPagesInChromium } from './supervisor-pages';
import { SupervisorHarness } from '../reports/supervisor-harness';
import { chromiumForSuite, screenshotPath } from './browser-support';

const SCREENSHOT = screenshotPath('wallboard.png');
const T = { timeout: 8000 };

describe('Supervisor wallboard in Chromium (playwright-core)', function () {
  this.timeout(90_000);
  const pages = supervisorPagesInChromium();

  it('changes live when a call is queued and then answered (real dispatcher, CallCenter)', async () => {
    const { s, context } = pages;
    const page = await openAs(s, context, 'wallboard.html', 'sup', '#board');
    await page.locator('#wb-waiting[data-value="0"]').waitFor(T);
    expect(await page.locator('#wb-operators li[data-state="offline"]').getAttribute('data-value')).to.equal('2');

    // A caller reaches siaga112 and chooses medical; nobody is ready: the call waits.
    const callId = await s.h.queueCall('081355500001', '2');
    await page.locator('#wb-waiting[data-value="1"]').waitFor(T);
    await page.locator(`#wb-queue tr[data-call-id="${callId}"]`).waitFor(T);
    expect(await page.locator('#wb-waiting-tile').getAttribute('data-level')).to.equal('alert');
    await page.locator('#wb-date[data-calls="1"]').waitFor(T);
    expect(await page.locator('#wb-by-hour rect.bar[data-value="1"]').count()).to.equal(1);
    expect(await page.locator('#wb-by-category rect.bar[data-key="medical"]').getAttribute('data-value')).to.equal('1');

    // op1 signs on and is ready: the dispatcher rings the softphone; op1 answers.
    await s.h.dispatch.operators.login('op1');
    await s.h.dispatch.operators.setReady('op1');
    await waitFor(() => s.h.ringer.ringing(callId), 'the softphone rings');
    await page.locator('#wb-operators li[data-state="offered"][data-value="1"]').waitFor(T);
    s.h.ringer.settle(callId, 'answered');
    await page.locator('#wb-waiting[data-value="0"]').waitFor(T);
    await page.locator('#wb-operators li[data-state="on_call"][data-value="1"]').waitFor(T);
    await page.locator('#wb-date[data-answered="1"]').waitFor(T);
    // Answered within seconds of arriving: 1 of 1 call within 10 s, with how it is computed.
    await page.locator('#kpi-answeredWithin10s[data-value="1"]').waitFor(T);
    expect(await page.locator('#kpi-answeredWithin10s .tile-value').textContent()).to.equal('100 %');
    expect(await page.locator('#kpi-answeredWithin10s .how').textContent()).to.match(/within 10 s of reaching siaga112/);
    expect(await page.locator('#kpi-abandonRate .tile-value').textContent()).to.equal('0 %');

    // A second caller waits, for a screenshot with a queue.
    await s.h.queueCall('081355500002', '1');
    await page.locator('#wb-waiting[data-value="1"]').waitFor(T);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('an operator cannot open the wallboard data', async () => {
    const { s, context } = pages;
    const page = await context.newPage();
    await page.goto(`${s.url}/wallboard.html`);
    await page.locator('#username').fill('op1');
    await page.locator('#password').fill(PASSWORDS.op1);
    await page.keyboard.press('Enter');
    await page.locator('#login-error').waitFor({ state: 'visible', ...T });
    expect(await page.locator('#login-error').textContent()).to.match(/supervisor or admin/);
    expect(await page.locator('#board').isHidden()).to.equal(true);
  });
});

describe('Reports page in Chromium (playwright-core)', function () {
  this.timeout(60_000);
  const browser = chromiumForSuite();
  let s: SupervisorHarness;
  before(async () => {
    s = await SupervisorHarness.start();
  });
  after(async () => {
    await s?.stop();
  });

  it('lists today\'s calls, filters by caller, opens a call\'s timeline and links the CSV with the filters', async () => {
    const context = await browser().newContext({ viewport: { width: 1280, height: 900 } });
    const a = await s.h.queueCall('081355500011', '2');
    await s.h.queueCall('081355500012', '1');
    const page = await openAs(s, context, 'reports.html', 'sup', '#reports');
    await page.locator('#calls tbody tr').nth(1).waitFor(T);
    await page.locator('input[name="caller"]').fill('081355500011');
    await page.locator('#filters button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelectorAll('#calls tbody tr').length === 1);
    expect(await page.locator('#csv').getAttribute('href')).to.equal('/api/reports/calls.csv?caller=081355500011');
    await page.locator(`#calls tr[data-call-id="${a}"]`).click();
    await page.locator('#d-timeline li').first().waitFor(T);
    expect(await page.locator('#d-timeline').textContent()).to.match(/call\.created/);
    expect(await page.locator('#s-figures [data-key="calls"] .tile-value').textContent()).to.equal('2');
    await context.close();
  });
});
