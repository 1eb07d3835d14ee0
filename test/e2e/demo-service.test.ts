import { expect } from 'chai';
import type { Service } from '../../src/app/service';
import { startDemoService, waitUntil } from './service-harness';

describe('the service as npm start runs it (demo mode, PBX simulator over ARI and AMI)', function () {
  this.timeout(60_000);
  let service: Service;
  let stop: () => Promise<void>;

  before(async () => {
    ({ service, stop } = await startDemoService({ robots: ['op2'] }));
  });
  after(async () => {
    await stop?.();
  });

  it('is healthy and ready, with Redis, the store and the PBX link', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).to.equal(200);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).to.equal(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks).to.deep.equal({ redis: 'ok', store: 'ok', pbx: 'ok' });
  });

  it('a 112 caller pressing 4 reaches the robot operator op2 and the record holds the whole path and the outcome', async () => {
    const sim = service.simulator!;
    sim.control.addEndpoint('op2', { registered: false, behaviour: { kind: 'answer', afterS: 0.5 } });
    sim.control.registerEndpoint('op2'); // the softphone registers: ARI endpoint event and AMI ContactStatus
    await waitUntil('op2 free', async () => (await service.dispatch.operators.snapshot('op2')).softphoneRegistered);
    const channel = sim.control.placeCall({ from: '081234500099', steps: [{ wait: 1.5 }, { dtmf: '4' }, { wait: 4 }, { hangup: true }] });
    const call = await waitUntil('the call record', () => service.store.findByChannel(channel.id));
    const outcome = await waitUntil('the robot files its outcome', () => service.store.getOutcome(call.id), 25_000);
    expect(outcome).to.include({ operatorId: 'op2' });
    const record = await service.store.getCall(call.id);
    expect(record).to.include({ state: 'ended', endReason: 'completed', category: 'disaster', operatorId: 'op2', dialedNumber: '112', callerNumber: '081234500099' });
    // The outcome row and its timeline event are two writes: wait for the event too.
    const timeline = await waitUntil('outcome.submitted on the timeline', async () => {
      const events = await service.store.getTimeline(call.id);
      return events.some((e) => e.type === 'outcome.submitted') ? events : undefined;
    });
    const types = timeline.map((e) => e.type);
    expect(types).to.include.ordered.members(['call.created', 'call.in_ivr', 'ivr.digit', 'call.queued', 'call.offered', 'call.connected', 'call.ended', 'outcome.submitted']);
  });

  it('metrics count the calls and operators', async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).to.match(/siaga112_\w+/);
    expect(text).to.not.match(/081234500099/);
  });
});
