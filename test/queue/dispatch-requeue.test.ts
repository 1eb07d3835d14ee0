import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { ManualClock } from '../../src/core/clock';
import { freshRedis, testRedisUrl } from '../support/redis';
import { call, dispatchConfig, freeOperators, startHarness, tick, waitFor, type Harness } from './dispatch-harness';

describe('queue: missed offers and dead dispatchers', () => {
  let redis: Redis;
  let clock: ManualClock;
  const harnesses: Harness[] = [];

  beforeEach(async () => {
    redis = await freshRedis();
    clock = new ManualClock();
  });
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.dispatch.stop({ crash: true });
    redis.disconnect();
  });

  async function harness(instanceId = 'a', leaseSeconds = 30): Promise<Harness> {
    const h = await startHarness(testRedisUrl(), clock, { instanceId, config: dispatchConfig({ offerLeaseSeconds: leaseSeconds }) });
    harnesses.push(h);
    return h;
  }

  it('puts a missed call back ahead of calls that arrived after it, and the operator goes not ready (missed)', async () => {
    const h = await harness();
    const [a, b] = [call(2), call(2)];
    await h.dispatch.enqueue(a);
    clock.advance(5);
    await h.dispatch.enqueue(b);
    await freeOperators(h.dispatch, ['op1']);
    expect((await h.ringer.nextRing(1)).callId).to.equal(a.callId);
    clock.advance(5);
    const c = call(2);
    await h.dispatch.enqueue(c); // arrives while A rings
    h.ringer.settle(a.callId, 'no_answer');
    await waitFor(() => h.steps.some((s) => s.step === 'onRequeued'), 'requeued');
    await h.dispatch.idle();
    // At the back it would read [b, c, a]; in its place it reads [a, b, c].
    expect((await h.dispatch.queueSnapshot()).map((x) => x.callId)).to.deep.equal([a.callId, b.callId, c.callId]);
    const op1 = await h.dispatch.operators.snapshot('op1');
    expect(op1.state).to.equal('not_ready');
    expect(op1.reason).to.equal('missed');
    expect(h.events.map((e) => e.type)).to.include.members(['call.missed', 'call.requeued']);
    expect(h.events).to.deep.include({ type: 'operator.state', at: clock.now(), operatorId: 'op1', from: 'offered', to: 'not_ready', reason: 'missed' });
    // The next free operator gets A first, and A counts its second attempt.
    await freeOperators(h.dispatch, ['op2']);
    const again = await h.ringer.nextRing(2);
    expect(again).to.include({ callId: a.callId, operatorId: 'op2' });
    expect(h.steps.filter((s) => s.step === 'onOffered').map((s) => s.e.attempt)).to.deep.equal([1, 2]);
  });

  it('keeps the order of two calls of one priority that are both put back', async () => {
    const h = await harness();
    // Ids that sort against arrival: a tie broken by call id would read [b, a, c].
    const [a, b, c] = [call(1, { callId: `zz_${Date.now()}` }), call(1, { callId: `aa_${Date.now()}` }), call(1)];
    for (const x of [a, b, c]) {
      await h.dispatch.enqueue(x);
      clock.advance(3);
    }
    await freeOperators(h.dispatch, ['op1', 'op2']);
    await h.ringer.nextRing(2);
    h.ringer.settle(b.callId, 'busy'); // the later one comes back first
    await waitFor(() => h.steps.filter((s) => s.step === 'onRequeued').length === 1, 'b requeued');
    h.ringer.settle(a.callId, 'rejected');
    await waitFor(() => h.steps.filter((s) => s.step === 'onRequeued').length === 2, 'a requeued');
    await h.dispatch.idle();
    expect((await h.dispatch.queueSnapshot()).map((x) => x.callId)).to.deep.equal([a.callId, b.callId, c.callId]);
  });

  it('an answered call connects, its job completes with the operator id', async () => {
    const h = await harness();
    const a = call(1);
    await freeOperators(h.dispatch, ['op1']);
    await h.dispatch.enqueue(a);
    await h.ringer.nextRing(1);
    h.ringer.settle(a.callId, 'answered');
    await waitFor(() => h.steps.some((s) => s.step === 'onAnswered'), 'answered');
    await h.dispatch.idle();
    expect((await h.dispatch.operators.snapshot('op1'))).to.include({ state: 'on_call', callId: a.callId });
    const jobKeys = await redis.keys('siaga112:bull:calls:*' + a.callId);
    expect(jobKeys).to.have.length(1);
    expect(await redis.hget(jobKeys[0], 'returnvalue')).to.equal('"op1"');
    expect(await redis.zscore('siaga112:bull:calls:completed', jobKeys[0].split(':').pop() as string)).to.not.equal(null);
  });

  it('takes a call back with its place when its dispatcher dies mid-offer, once the lease expires', async () => {
    const a = await harness('a', 10);
    const b = await harness('b', 10);
    // Only instance A may dispatch at first: B starts dispatching once A is dead.
    await b.dispatch.stop({ crash: true });
    harnesses.pop();
    const first = call(2);
    await a.dispatch.enqueue(first);
    await freeOperators(a.dispatch, ['op1']);
    await a.ringer.nextRing(1);
    await a.dispatch.stop({ crash: true }); // dies with the phone ringing, nothing settled
    harnesses.shift();
    const b2 = await harness('b', 10);
    const later = call(2);
    clock.advance(1);
    await b2.dispatch.enqueue(later);
    // Before the lease ends nothing moves: op1 is still reserved, the call still offered.
    await tick(clock, 8000);
    expect((await b2.dispatch.operators.snapshot('op1')).state).to.equal('offered');
    expect(b2.ringer.rings).to.have.length(0);
    await tick(clock, 4000);
    // The call came back ahead of `later`, op1 was released and is offered it again.
    const offer = await b2.ringer.nextRing(1);
    expect(offer).to.include({ callId: first.callId, operatorId: 'op1' });
    expect(b2.steps.filter((s) => s.step === 'onRequeued').map((s) => s.e)).to.deep.equal([{ at: b2.steps.find((s) => s.step === 'onRequeued')?.e.at, callId: first.callId, reason: 'lease_expired' }]);
    expect((await b2.dispatch.queueSnapshot()).map((x) => x.callId)).to.deep.equal([later.callId]);
  });

  it('renews the lease of a live offer that rings longer than the lease', async () => {
    const a = await harness('a', 3);
    const b = await harness('b', 3);
    const x = call(1);
    await freeOperators(a.dispatch, ['op1']);
    await a.dispatch.enqueue(x);
    await waitFor(() => a.ringer.rings.length + b.ringer.rings.length === 1, 'ring');
    const owner = a.ringer.rings.length === 1 ? a : b;
    await tick(clock, 10_000, 250);
    expect(owner.ringer.ringing(x.callId)).to.equal(true);
    expect((await owner.dispatch.operators.snapshot('op1')).state).to.equal('offered');
    expect(a.ringer.rings.length + b.ringer.rings.length).to.equal(1);
    owner.ringer.settle(x.callId, 'answered');
    await waitFor(async () => (await owner.dispatch.operators.snapshot('op1')).state === 'on_call', 'connected');
  });
});
