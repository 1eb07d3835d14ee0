import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { ManualClock } from '../../src/core/clock';
import { ConflictError, IllegalTransitionError, NotFoundError } from '../../src/core/errors';
import { freshRedis, testRedisUrl } from '../support/redis';
import { call, dispatchConfig, freeOperators, startHarness, tick, waitFor, type Harness } from './dispatch-harness';

describe('queue: abandoned calls and wrap-up', () => {
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

  async function harness(instanceId = 'a'): Promise<Harness> {
    const h = await startHarness(testRedisUrl(), clock, { instanceId, config: dispatchConfig({ wrapUpTimeoutSeconds: 60 }) });
    harnesses.push(h);
    return h;
  }

  it('a caller who hangs up while waiting leaves the queue; recorded with the number for the callback', async () => {
    const h = await harness();
    const [a, b] = [call(1), call(1)];
    await h.dispatch.enqueue(a);
    await h.dispatch.enqueue(b);
    expect(await h.dispatch.abandon(a.callId)).to.equal('queue');
    expect((await h.dispatch.queueSnapshot()).map((x) => x.callId)).to.deep.equal([b.callId]);
    expect(h.steps.find((s) => s.step === 'onAbandoned')?.e).to.deep.equal({ at: clock.now(), callId: a.callId, callerNumber: a.callerNumber, where: 'queue' });
    expect(h.events).to.deep.include({ type: 'call.abandoned', at: clock.now(), callId: a.callId, where: 'queue' });
    // A second hang-up for the same call changes nothing.
    await expectReject(h.dispatch.abandon(a.callId), ConflictError);
    await expectReject(h.dispatch.abandon('call_nobody'), NotFoundError);
    await freeOperators(h.dispatch, ['op1']);
    expect((await h.ringer.nextRing(1)).callId).to.equal(b.callId);
  });

  it('a caller who hangs up while the operator rings: the operator is free again, the call abandoned', async () => {
    const h = await harness();
    const [a, b] = [call(1), call(1)];
    await freeOperators(h.dispatch, ['op1']);
    await h.dispatch.enqueue(a);
    await h.ringer.nextRing(1);
    await h.dispatch.enqueue(b);
    expect(await h.dispatch.abandon(a.callId)).to.equal('ringing');
    await expectReject(h.dispatch.abandon(a.callId), ConflictError);
    h.ringer.settle(a.callId, 'caller_gone'); // the adapter stopped the ringing
    const next = await h.ringer.nextRing(2);
    expect(next).to.include({ callId: b.callId, operatorId: 'op1' });
    expect(h.steps.find((s) => s.step === 'onAbandoned')?.e).to.include({ callId: a.callId, where: 'ringing', operatorId: 'op1' });
    expect(h.events.filter((e) => e.type === 'operator.state' && e.operatorId === 'op1').map((e) => (e.type === 'operator.state' ? e.to : '')).slice(-3)).to.deep.equal(['offered', 'ready', 'offered']);
  });

  it('an abandon racing a ring that ends in no answer still ends the call as abandoned, not requeued', async () => {
    const h = await harness();
    const a = call(1);
    await freeOperators(h.dispatch, ['op1']);
    await h.dispatch.enqueue(a);
    await h.ringer.nextRing(1);
    expect(await h.dispatch.abandon(a.callId)).to.equal('ringing');
    h.ringer.settle(a.callId, 'no_answer');
    await waitFor(() => h.steps.some((s) => s.step === 'onAbandoned'), 'abandoned');
    await h.dispatch.idle();
    expect(h.steps.some((s) => s.step === 'onRequeued')).to.equal(false);
    expect(await h.dispatch.queueSnapshot()).to.deep.equal([]);
  });

  it('wrap-up after the call until the outcome is submitted; a second ending is refused', async () => {
    const h = await harness();
    const [a, b] = [call(1), call(1)];
    await freeOperators(h.dispatch, ['op1']);
    h.ringer.auto = () => 'answered';
    await h.dispatch.enqueue(a);
    await waitFor(async () => (await h.dispatch.operators.snapshot('op1')).state === 'on_call', 'on call');
    await h.dispatch.enqueue(b);
    await h.dispatch.operatorCallEnded('op1');
    const op = await h.dispatch.operators.snapshot('op1');
    expect(op).to.include({ state: 'wrap_up', wrapUpCallId: a.callId, wrapUpUntil: clock.now() + 60_000 });
    await expectReject(h.dispatch.callEnded(a.callId), ConflictError);
    await h.dispatch.idle();
    expect(h.ringer.rings).to.have.length(1); // b waits: op1 is in wrap-up
    await h.dispatch.operators.endWrapUp('op1');
    await expectReject(h.dispatch.operators.endWrapUp('op1'), ConflictError);
    expect((await h.ringer.nextRing(2)).callId).to.equal(b.callId);
    expect(h.events).to.deep.include({ type: 'wrapup.ended', at: clock.now(), operatorId: 'op1', callId: a.callId, by: 'outcome' });
  });

  it('wrap-up ends by itself at the timeout, also when the instance that started it is gone', async () => {
    const a = await harness('a');
    await freeOperators(a.dispatch, ['op1', 'op2']);
    a.ringer.auto = () => 'answered';
    const [x, y] = [call(1), call(1)];
    await a.dispatch.enqueue(x);
    await a.dispatch.enqueue(y);
    await waitFor(async () => (await a.dispatch.operators.list()).every((o) => o.state === 'on_call'), 'both on call');
    await a.dispatch.callEnded(x.callId);
    await a.dispatch.callEnded(y.callId);
    // Both end by the local timers of instance a.
    await tick(clock, 59_000, 1000);
    expect((await a.dispatch.operators.snapshot('op1')).state).to.equal('wrap_up');
    await tick(clock, 2000, 1000);
    await waitFor(async () => (await a.dispatch.operators.snapshot('op1')).state === 'ready', 'op1 ready by timeout');
    expect(a.events.filter((e) => e.type === 'wrapup.ended').map((e) => (e.type === 'wrapup.ended' ? e.by : ''))).to.deep.equal(['timeout', 'timeout']);
    // Another instance ends a wrap-up whose instance died.
    a.ringer.auto = () => 'answered';
    const z = call(1);
    await a.dispatch.enqueue(z);
    const offer = await a.ringer.nextRing(3);
    await waitFor(async () => (await a.dispatch.operators.snapshot(offer.operatorId)).state === 'on_call', 'on call');
    await a.dispatch.callEnded(z.callId);
    await a.dispatch.stop({ crash: true });
    harnesses.splice(0);
    const b = await harness('b');
    await tick(clock, 61_000, 1000);
    await waitFor(async () => (await b.dispatch.operators.snapshot(offer.operatorId)).state === 'ready', 'ready by sweep');
    expect(b.events).to.deep.include({ type: 'wrapup.ended', at: b.events.find((e) => e.type === 'wrapup.ended')?.at ?? -1, operatorId: offer.operatorId, callId: z.callId, by: 'timeout' });
  });

  it('logging out during wrap-up ends it; the operator comes back not ready', async () => {
    const h = await harness();
    await freeOperators(h.dispatch, ['op1']);
    h.ringer.auto = () => 'answered';
    const a = call(1);
    await h.dispatch.enqueue(a);
    await waitFor(async () => (await h.dispatch.operators.snapshot('op1')).state === 'on_call', 'on call');
    await h.dispatch.callEnded(a.callId);
    await h.dispatch.operators.logout('op1');
    expect(await h.dispatch.operators.snapshot('op1')).to.include({ state: 'offline', wrapUpUntil: undefined });
    expect(await redis.zcard('siaga112:dispatch:wrapups')).to.equal(0);
    await h.dispatch.operators.login('op1');
    expect((await h.dispatch.operators.snapshot('op1')).state).to.equal('not_ready');
  });

  it('refuses bad input with clear errors and changes nothing', async () => {
    const h = await harness();
    await expectReject(h.dispatch.operators.login('nobody'), NotFoundError);
    await h.dispatch.operators.define({ id: 'op1', displayName: 'Op 1', endpoint: 'PJSIP/op1' });
    await expectReject(h.dispatch.operators.setReady('op1'), IllegalTransitionError); // logged out
    expect((await h.dispatch.operators.snapshot('op1')).state).to.equal('offline');
    await expectReject(h.dispatch.operators.logout('op1'), ConflictError);
    await h.dispatch.operators.login('op1');
    await expectReject(h.dispatch.operators.login('op1'), ConflictError);
    await expectReject(h.dispatch.operators.setNotReady('op1', ''), Error);
    await expectReject(h.dispatch.operators.endWrapUp('op1'), ConflictError);
    await expectReject(h.dispatch.operatorCallEnded('op1'), ConflictError);
    await expectReject(h.dispatch.enqueue({ ...call(0) }), Error);
    await expectReject(h.dispatch.enqueue({ ...call(1.5) }), Error);
    await expectReject(h.dispatch.enqueue({ ...call(1), callId: 'bad id with spaces' }), Error);
    const a = call(1);
    await h.dispatch.enqueue(a);
    await expectReject(h.dispatch.enqueue(a), ConflictError); // queued twice
    await expectReject(h.dispatch.callEnded(a.callId), ConflictError); // not connected
    await expectReject(h.dispatch.callEnded('call_unknown'), NotFoundError);
    await h.dispatch.operators.setSoftphone('op1', true);
    h.ringer.auto = () => 'answered';
    await h.dispatch.operators.setReady('op1');
    await waitFor(async () => (await h.dispatch.operators.snapshot('op1')).state === 'on_call', 'on call');
    await expectReject(h.dispatch.operators.logout('op1'), IllegalTransitionError);
    await expectReject(h.dispatch.operators.setNotReady('op1', 'break'), IllegalTransitionError);
    await expectReject(h.dispatch.enqueue(a), ConflictError); // connected: not queued again
    expect(await h.dispatch.operators.snapshot('op1')).to.include({ state: 'on_call', callId: a.callId });
    expect(h.ringer.rings).to.have.length(1);
    // A softphone that drops keeps an operator out of the free pool.
    await h.dispatch.callEnded(a.callId);
    await h.dispatch.operators.setSoftphone('op1', false);
    await h.dispatch.operators.endWrapUp('op1');
    expect(await h.dispatch.operators.snapshot('op1')).to.include({ state: 'ready', free: false });
    await h.dispatch.enqueue(call(1));
    await h.dispatch.idle();
    expect(h.ringer.rings).to.have.length(1);
    await h.dispatch.operators.setSoftphone('op1', true);
    await h.ringer.nextRing(2);
  });
});

async function expectReject(p: Promise<unknown>, type: new (...args: never[]) => Error): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(type);
    return;
  }
  expect.fail(`expected ${type.name}`);
}
