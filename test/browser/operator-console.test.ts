import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { ConsoleHarness, PASSWORDS, waitFor, type Username } from '../http/api-harness';
import { chromiumForSuite, screenshotPath } from './browser-support';

const SCREENSHOT = screenshotPath('operator-console.png');
const T = { timeout: 8000 };

async function logIn(h: ConsoleHarness, context: BrowserContext, username: Username): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(`${h.url}/`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(PASSWORDS[username]);
  await page.keyboard.press('Enter');
  await page.locator('#console-view').waitFor({ state: 'visible', ...T });
  await page.locator('#live-status[data-status="open"]').waitFor(T);
  return page;
}

describe('Operator console in Chromium (playwright-core)', function () {
  this.timeout(90_000);
  const browser = chromiumForSuite();
  let h: ConsoleHarness;
  const contexts: BrowserContext[] = [];

  beforeEach(async () => {
    h = await ConsoleHarness.start();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
    await h?.stop();
  });

  async function newContext(): Promise<BrowserContext> {
    const c = await browser().newContext({ viewport: { width: 1440, height: 1000 }, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
    contexts.push(c);
    return c;
  }

  it('refuses a wrong password on the login form', async () => {
    const page = await (await newContext()).newPage();
    await page.goto(`${h.url}/`);
    await page.locator('#username').fill('op1');
    await page.locator('#password').fill('wrong-password-1');
    await page.locator('#login-submit').click();
    await page.locator('#login-error').waitFor({ state: 'visible', ...T });
    expect(await page.locator('#login-error').textContent()).to.match(/Wrong username or password/);
    expect(await page.locator('#console-view').isHidden()).to.equal(true);
  });

  it('an operator logs in, goes ready, is offered a call, answers, records the outcome; the record holds it', async () => {
    // This number called before: a prank last week.
    const caller = '081355501234';
    const earlier = await h.queueCall(caller, '3');
    await h.center.callerHungUp(earlier);
    await h.store.saveOutcome({ callId: earlier, operatorId: 'op2', confirmedCategory: 'police', classification: 'prank', agencies: [], notes: '', submittedAt: Date.now() });

    const page = await logIn(h, await newContext(), 'op1');
    await page.locator('#state[data-state="offline"]').waitFor(T);
    expect(await page.locator('#softphone').getAttribute('data-registered')).to.equal('true');

    await page.locator('#btn-ready').click();
    await page.locator('#state[data-state="ready"]').waitFor(T);
    expect(await page.locator('#state-main').textContent()).to.equal('SIAP');

    const callId = await h.queueCall(caller, '2', { text: 'Jl. Merdeka No. 1, Palu', latitude: -0.8917, longitude: 119.8707, accuracyM: 50, source: 'sip-geolocation' });
    await waitFor(() => h.ringer.ringing(callId), 'the softphone rings');
    await page.locator('#call-phase[data-phase="offered"]').waitFor(T);
    await page.locator('#state[data-state="offered"]').waitFor(T);
    expect(await page.locator('#caller-number').textContent()).to.equal(caller);
    expect(await page.locator('#call-category').textContent()).to.match(/Medical/);
    expect(await page.locator('#call-language').textContent()).to.equal('Bahasa Indonesia');
    expect(await page.locator('#call-location').textContent()).to.match(/Jl\. Merdeka No\. 1, Palu/);
    expect(await page.locator('#history tbody tr').count()).to.equal(1);
    expect(await page.locator('#history tbody').textContent()).to.match(/Iseng · Prank/);

    // The operator answers on the softphone.
    h.ringer.settle(callId, 'answered');
    await page.locator('#call-phase[data-phase="on_call"]').waitFor(T);
    await page.locator('#state[data-state="on_call"]').waitFor(T);
    await page.locator('#wrapup-panel').waitFor({ state: 'visible', ...T });
    expect(await page.locator('#wu-category').inputValue()).to.equal('medical');
    expect(await page.locator('#wu-location').inputValue()).to.equal('Jl. Merdeka No. 1, Palu');

    // Wrap-up form, filled with the keyboard where it matters.
    await page.locator('#wu-cls-emergency').check();
    await page.locator('#wu-ag-ambulance').check();
    await page.locator('#wu-ag-police').check();
    await page.locator('#wu-notes').fill('Laki-laki pingsan di depan toko, bernapas. Ambulans dikirim.');
    await page.waitForFunction(() => (document.getElementById('call-timer')?.textContent ?? '').includes(':'));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The caller hangs up: wrap-up; the form keeps what was typed.
    await h.center.callerHungUp(callId);
    await page.locator('#call-phase[data-phase="wrap_up"]').waitFor(T);
    await page.locator('#state[data-state="wrap_up"]').waitFor(T);
    expect(await page.locator('#wu-notes').inputValue()).to.match(/pingsan/);

    await page.locator('#wu-submit').click();
    await page.locator('#state[data-state="ready"]').waitFor(T);
    await page.locator('#no-call').waitFor({ state: 'visible', ...T });
    expect(await page.locator('#no-call').textContent()).to.match(/Outcome saved/);
    expect(await page.locator('#wrapup-panel').isHidden()).to.equal(true);

    const outcome = await h.store.getOutcome(callId);
    expect(outcome).to.include({ operatorId: 'op1', classification: 'emergency', confirmedCategory: 'medical' });
    expect(outcome!.agencies).to.have.members(['ambulance', 'police']);
    expect(outcome!.location).to.include({ text: 'Jl. Merdeka No. 1, Palu', source: 'operator' });
    expect((await h.store.getTimeline(callId)).map((e) => e.type)).to.include('outcome.submitted');
  });

  it('not ready with a reason, shown in words; ready again', async () => {
    const page = await logIn(h, await newContext(), 'op2');
    await page.locator('#reason').selectOption('meeting');
    await page.locator('#btn-not-ready').click();
    await page.locator('#state[data-state="not_ready"]').waitFor(T);
    expect(await page.locator('#state-sub').textContent()).to.match(/Rapat · Meeting/);
    expect((await h.dispatch.operators.snapshot('op2')).reason).to.equal('meeting');
    // Keyboard only: focus the button and press Enter.
    await page.locator('#btn-ready').focus();
    await page.keyboard.press('Enter');
    await page.locator('#state[data-state="ready"]').waitFor(T);
    expect(await page.locator('#btn-ready').isDisabled()).to.equal(true);
  });

  it('callbacks: an abandoned call appears for both operators; one takes it, it disappears for the other; its outcome is checked and saved', async () => {
    const page1 = await logIn(h, await newContext(), 'op1');
    const page2 = await logIn(h, await newContext(), 'op2');
    const caller = '081900011122';
    const callId = await h.queueCall(caller, '4');
    await h.center.callerHungUp(callId);

    const row1 = page1.locator(`#callbacks tr[data-call-id="${callId}"]`);
    const row2 = page2.locator(`#callbacks tr[data-call-id="${callId}"]`);
    await row1.waitFor(T);
    await row2.waitFor(T);
    expect(await row2.textContent()).to.include(caller);
    expect(await page2.locator('#callbacks-count').textContent()).to.equal('1');

    await row1.locator('button.take').click();
    await row2.waitFor({ state: 'detached', ...T });
    expect(await page2.locator('#callbacks-empty').isVisible()).to.equal(true);
    await page1.locator(`#callbacks tr[data-call-id="${callId}"][data-mine="true"]`).waitFor(T);
    await page1.locator('#call-phase[data-phase="callback"]').waitFor(T);
    expect(await page1.locator('#caller-number').textContent()).to.equal(caller);

    // Submitting without a classification names the field.
    await page1.locator('#wu-submit').click();
    await page1.locator('#wrapup-errors').waitFor({ state: 'visible', ...T });
    expect(await page1.locator('#wrapup-errors').textContent()).to.match(/Klasifikasi · Classification/);
    expect(await page1.locator('#wu-classification').getAttribute('aria-invalid')).to.equal('true');
    expect(await h.store.getOutcome(callId)).to.equal(undefined);

    await page1.locator('#wu-cls-non_emergency').check();
    await page1.locator('#wu-submit').click();
    await page1.locator('#call-phase').waitFor({ state: 'hidden', ...T });
    expect(await h.store.getOutcome(callId)).to.include({ classification: 'non_emergency', operatorId: 'op1' });
    expect((await h.store.listCallbacks('done')).map((t) => t.callId)).to.deep.equal([callId]);
  });
});
