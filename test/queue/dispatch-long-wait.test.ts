import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { ManualClock } from '../../src/core/clock';
import { freshRedis, testRedisUrl } from '../support/redis';
import { call, dispatchConfig, freeOperators, startHarness, tick, waitFor, type Harness } from './dispatch-harness';

describe('queue: long waits', () => {
  let redis: Redis;
  let clock: ManualClock;
  let h: Harness | undefined;

  beforeEach(async () => {
    redis = await freshRedis();
    clock = new ManualClock();
  });
  afterEach(async () => {
    await h?.dispatch.stop({ crash: true });
    h = undefined;
    redis.disconnect();
  });

  it('re-assures a waiting caller every interval, and stops once the call is answered', async () => {
    h = await startHarness(testRedisUrl(), clock, { ivrReassuranceMs: 10_000 });
    const a = call(1);
    await h.dispatch.enqueue(a);
    await tick(clock, 9_000, 1000);
    expect(h.waiting.reassured).to.deep.equal([]);
    await tick(clock, 21_000, 1000);
    await waitFor(() => h?.waiting.reassured.length === 3, 'three reassurances');
    expect(h.events.filter((e) => e.type === 'call.reassured')).to.have.length(3);
    expect(h.steps.filter((s) => s.step === 'onReassured')).to.have.length(3);
    h.ringer.auto = () => 'answered';
    await freeOperators(h.dispatch, ['op1']);
    await waitFor(async () => (await h?.dispatch.operators.snapshot('op1'))?.state === 'on_call', 'answered');
    await tick(clock, 30_000, 1000);
    expect(h.waiting.reassured).to.have.length(3);
  });

  it('keep_waiting overflow: recorded once when no operator has been logged in for noOperatorSeconds', async () => {
    h = await startHarness(testRedisUrl(), clock, { config: dispatchConfig({ overflow: { noOperatorSeconds: 60, action: 'keep_waiting' } }) });
    const a = call(1);
    await h.dispatch.enqueue(a);
    await tick(clock, 59_000, 1000);
    expect(h.events.some((e) => e.type === 'call.overflow')).to.equal(false);
    await tick(clock, 5_000, 1000);
    await waitFor(() => h?.events.some((e) => e.type === 'call.overflow'), 'overflow');
    await tick(clock, 120_000, 5000);
    expect(h.events.filter((e) => e.type === 'call.overflow')).to.deep.equal([{ type: 'call.overflow', at: h.events.find((e) => e.type === 'call.overflow')?.at, callId: a.callId, action: 'keep_waiting' }]);
    expect((await h.dispatch.queueSnapshot()).map((c) => c.callId)).to.deep.equal([a.callId]);
  });

  it('transfer overflow: the caller leaves the queue for the backup centre; not while an operator is logged in', async () => {
    h = await startHarness(testRedisUrl(), clock, { config: dispatchConfig({ overflow: { noOperatorSeconds: 30, action: 'transfer', transferTarget: '0215551234' } }) });
    await h.dispatch.operators.define({ id: 'op1', displayName: 'op1', endpoint: 'PJSIP/op1' });
    await h.dispatch.operators.login('op1'); // logged in but not ready: no overflow
    const a = call(1);
    await h.dispatch.enqueue(a);
    await tick(clock, 40_000, 1000);
    expect(h.waiting.transferred).to.deep.equal([]);
    await h.dispatch.operators.logout('op1');
    await tick(clock, 29_000, 1000);
    expect(h.waiting.transferred).to.deep.equal([]);
    await tick(clock, 3_000, 1000);
    await waitFor(() => h?.waiting.transferred.length === 1, 'transferred');
    expect(h.waiting.transferred).to.deep.equal([{ callId: a.callId, target: '0215551234' }]);
    expect(await h.dispatch.queueSnapshot()).to.deep.equal([]);
    expect(h.steps.find((s) => s.step === 'onOverflow')?.e).to.include({ callId: a.callId, action: 'transfer', target: '0215551234' });
  });

  it('a failed transfer puts the caller back in the queue instead of dropping them', async () => {
    h = await startHarness(testRedisUrl(), clock, { config: dispatchConfig({ overflow: { noOperatorSeconds: 10, action: 'transfer', transferTarget: '0215551234' } }) });
    h.waiting.failTransfer = true;
    const a = call(1);
    await h.dispatch.enqueue(a);
    await tick(clock, 12_000, 1000);
    await waitFor(async () => (await h?.dispatch.queueSnapshot())?.length === 1, 'back in queue');
    h.ringer.auto = () => 'answered';
    await freeOperators(h.dispatch, ['op1']);
    expect((await h.ringer.nextRing(1)).callId).to.equal(a.callId);
  });
});
