import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { ManualClock } from '../../src/core/clock';
import { freshRedis, testRedisUrl } from '../support/redis';
import { call, freeOperators, startHarness, waitFor, type Harness } from './dispatch-harness';

describe('queue: order of offers', () => {
  let redis: Redis;
  let h: Harness;
  let clock: ManualClock;

  beforeEach(async () => {
    redis = await freshRedis();
    clock = new ManualClock();
  });
  afterEach(async () => {
    await h?.dispatch.stop({ crash: true });
    redis.disconnect();
  });

  it('offers the highest priority first, and first come first served within a priority', async () => {
    h = await startHarness(testRedisUrl(), clock);
    const queued = [call(3), call(1), call(2), call(1), call(3), call(2)];
    for (const c of queued) {
      await h.dispatch.enqueue(c);
      clock.advance(10);
    }
    expect((await h.dispatch.queueSnapshot()).map((c) => c.callId)).to.deep.equal([queued[1], queued[3], queued[2], queued[5], queued[0], queued[4]].map((c) => c.callId));
    h.ringer.auto = () => 'answered';
    await freeOperators(h.dispatch, ['op1']);
    const order: string[] = [];
    for (let i = 0; i < queued.length; i++) {
      const offer = await h.ringer.nextRing(i + 1);
      order.push(offer.callId);
      await waitFor(async () => (await h.dispatch.operators.snapshot('op1')).state === 'on_call', 'op1 on call');
      await h.dispatch.callEnded(offer.callId);
      await h.dispatch.operators.endWrapUp('op1');
    }
    expect(order).to.deep.equal([queued[1], queued[3], queued[2], queued[5], queued[0], queued[4]].map((c) => c.callId));
  });

  it('gives the next call to the operator idle longest', async () => {
    h = await startHarness(testRedisUrl(), clock);
    await freeOperators(h.dispatch, ['op2', 'op1', 'op3'], clock);
    await h.dispatch.enqueue(call(1));
    expect((await h.ringer.nextRing(1)).operatorId).to.equal('op2');
    await h.dispatch.enqueue(call(1));
    expect((await h.ringer.nextRing(2)).operatorId).to.equal('op1');
  });
});
