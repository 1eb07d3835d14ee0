import { expect } from 'chai';
import type { Service } from '../../src/app/service';
import { DEMO_PASSWORD, startDemoService, waitUntil } from '../e2e/service-harness';
import { chromiumForSuite } from './browser-support';

const T = { timeout: 15000 };

describe('Operator console with a call placed through the PBX simulator (whole service)', function () {
  this.timeout(90_000);
  const browser = chromiumForSuite();
  let service: Service;
  let stop: () => Promise<void>;

  before(async () => {
    ({ service, stop } = await startDemoService());
  });
  after(async () => {
    await stop?.();
  });

  it('op1 logs in, goes ready, the simulated softphone rings and answers, the caller hangs up, op1 files the outcome; the record holds it', async () => {
    const sim = service.simulator!;
    sim.control.addEndpoint('op1', { registered: false, behaviour: { kind: 'answer', afterS: 1 } });
    sim.control.registerEndpoint('op1');

    const context = await browser().newContext({ viewport: { width: 1440, height: 1000 }, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
    const page = await context.newPage();
    const pageErrors: Error[] = [];
    page.on('pageerror', (err) => pageErrors.push(err));
    await page.goto(`${service.url}/`);
    await page.locator('#username').fill('op1');
    await page.locator('#password').fill(DEMO_PASSWORD);
    await page.keyboard.press('Enter');
    await page.locator('#console-view').waitFor({ state: 'visible', ...T });
    await page.locator('#softphone[data-registered="true"]').waitFor(T);

    await page.locator('#btn-ready').click();
    await page.locator('#state[data-state="ready"]').waitFor(T);

    // A caller dials 112, chooses 2 (medical), talks for 6 s after the operator answers, hangs up.
    const channel = sim.control.placeCall({ from: '081277700011', steps: [{ wait: 1.5 }, { dtmf: '2' }] });
    const call = await waitUntil('the call record', () => service.store.findByChannel(channel.id));
    await page.locator('#call-phase[data-phase="on_call"]').waitFor(T);
    expect(await page.locator('#caller-number').textContent()).to.equal('081277700011');
    expect(await page.locator('#call-category').textContent()).to.match(/Medical/);
    const operatorLeg = await waitUntil('operator leg up', () => sim.pbx.listChannels().find((c) => c.name.startsWith('PJSIP/op1') && c.state === 'Up'));
    expect(operatorLeg.caller.number).to.equal('081277700011');

    sim.control.callerHangup(channel.id);
    await page.locator('#call-phase[data-phase="wrap_up"]').waitFor(T);
    await page.locator('#wu-cls-emergency').check();
    await page.locator('#wu-ag-ambulance').check();
    await page.locator('#wu-notes').fill('Ibu hamil, kontraksi. Ambulans dikirim.');
    await page.locator('#wu-submit').click();
    await page.locator('#state[data-state="ready"]').waitFor(T);

    const outcome = await waitUntil('outcome stored', () => service.store.getOutcome(call.id));
    expect(outcome).to.include({ operatorId: 'op1', classification: 'emergency', confirmedCategory: 'medical' });
    expect(outcome.agencies).to.deep.equal(['ambulance']);
    const record = await service.store.getCall(call.id);
    expect(record).to.include({ state: 'ended', endReason: 'completed', operatorId: 'op1' });
    expect(pageErrors).to.deep.equal([]);
    await context.close();
  });

  it("the supervisor's wallboard changes when a call placed through the simulator is queued, then answered", async () => {
    const sim = service.simulator!;
    sim.control.addEndpoint('op3', { registered: false, behaviour: { kind: 'answer', afterS: 1 } });
    sim.control.registerEndpoint('op3');
    await waitUntil('op3 softphone registered', async () => (await service.dispatch.operators.snapshot('op3')).softphoneRegistered);
    // Nobody is ready: op1 is back in ready after the previous test, so take it off.
    await service.dispatch.operators.setNotReady('op1', 'break').catch(() => undefined);

    const context = await browser().newContext({ viewport: { width: 1440, height: 1100 }, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
    const page = await context.newPage();
    await page.goto(`${service.url}/wallboard.html`);
    await page.locator('#username').fill('supervisor');
    await page.locator('#password').fill(DEMO_PASSWORD);
    await page.keyboard.press('Enter');
    await page.locator('#board').waitFor({ state: 'visible', ...T });
    await page.locator('#live-status[data-status="open"]').waitFor(T);
    await page.locator('#wb-waiting[data-value="0"]').waitFor(T);

    const channel = sim.control.placeCall({ from: '081277700022', steps: [{ wait: 1.5 }, { dtmf: '1' }] });
    const call = await waitUntil('queued', async () => {
      const c = await service.store.findByChannel(channel.id);
      return c?.state === 'queued' ? c : undefined;
    });
    await page.locator('#wb-waiting[data-value="1"]').waitFor(T);
    await page.locator(`#wb-queue tr[data-call-id="${call.id}"]`).waitFor(T);

    await service.dispatch.operators.login('op3').catch(() => undefined);
    await service.dispatch.operators.setReady('op3');
    await page.locator('#wb-waiting[data-value="0"]').waitFor(T);
    await page.locator('#wb-operators li[data-state="on_call"][data-value="1"]').waitFor(T);
    expect((await service.store.getCall(call.id))!.state).to.equal('connected');
    sim.control.callerHangup(channel.id);
    await context.close();
  });
});
