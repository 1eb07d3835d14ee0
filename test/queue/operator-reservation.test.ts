import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { ManualClock } from '../../src/core/clock';
import { IllegalTransitionError } from '../../src/core/errors';
import { DispatchKeys } from '../../src/queue/dispatch-keys';
import { OperatorPool } from '../../src/queue/operator-pool';
import { defineScripts } from '../../src/queue/redis-scripts';
import { testRedisUrl } from '../support/redis';
import { call, startHarness, waitFor, type Harness } from './dispatch-harness';

/**
 * A dispatch round reserves the free operator first and only then looks for
 * a call; for that moment the operator reads as `offered`. An operator who
 * presses "not ready" (or logs out) in that moment must not get an error.
 */
describe('queue: an operator changes state while a dispatcher holds a reservation with no call yet', () => {
  let redis: Redis;
  let pool: OperatorPool;
  let keys: DispatchKeys;
  const clock = new ManualClock(Date.UTC(2026, 10, 29, 8));

  beforeEach(async () => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    keys = new DispatchKeys(`t-${randomUUID()}:dispatch`);
    pool = new OperatorPool(redis, defineScripts(redis), keys, clock);
    for (const id of ['op1', 'op2']) {
      await pool.define({ id, displayName: id, endpoint: `PJSIP/${id}` });
      await pool.change(id, 'login');
      await pool.change(id, 'softphone', '1');
      clock.advance(1000);
      await pool.change(id, 'ready');
    }
  });
  afterEach(() => redis.disconnect());

  it('not ready wins over the reservation: the operator leaves the free pool and the dispatcher finds its reservation gone', async () => {
    const held = await pool.reserve('tok-1', 5000);
    expect(held?.id).to.equal('op1'); // idle longest
    expect((await pool.snapshot('op1')).state).to.equal('offered');

    const change = await pool.change('op1', 'not_ready', 'break');
    expect(change).to.include({ from: 'ready', to: 'not_ready', free: false });
    expect(await pool.snapshot('op1')).to.include({ state: 'not_ready' });
    expect(await redis.zscore(keys.leases, 'op1')).to.equal(null);
    // The dispatcher's later steps with its token change nothing.
    expect(await pool.release('op1', 'tok-1')).to.equal(false);
    expect(await pool.snapshot('op1')).to.include({ state: 'not_ready' });
    // The next reservation goes to the other operator.
    expect((await pool.reserve('tok-2', 5000))?.id).to.equal('op2');
  });

  it('ready again (or a logout) gives the reservation back too; ready keeps the operator\u2019s place among the free', async () => {
    await pool.reserve('tok-1', 5000);
    expect(await pool.change('op1', 'ready')).to.include({ from: 'ready', to: 'ready', free: true });
    expect((await pool.reserve('tok-2', 5000))?.id).to.equal('op1'); // still idle longest
    expect(await pool.change('op1', 'logout')).to.include({ from: 'ready', to: 'offline', free: false });
    expect(await pool.release('op1', 'tok-2')).to.equal(false);
  });

  it('a softphone change keeps the reservation (the dispatcher settles it)', async () => {
    await pool.reserve('tok-1', 5000);
    await pool.change('op1', 'softphone', '0');
    expect((await pool.snapshot('op1')).state).to.equal('offered');
    expect(await pool.release('op1', 'tok-1')).to.equal(true);
    expect(await pool.snapshot('op1')).to.include({ state: 'ready' });
  });
});

describe('queue: an operator with a call actually offered still cannot go not ready', () => {
  let h: Harness;
  let redis: Redis;

  afterEach(async () => {
    await h?.dispatch.stop({ crash: true });
    redis?.disconnect();
  });

  it('refuses not ready and logout while the softphone rings, and changes nothing', async () => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    h = await startHarness(testRedisUrl(), new ManualClock(Date.UTC(2026, 10, 29, 8)), { prefix: `t-${randomUUID()}` });
    await h.dispatch.operators.define({ id: 'op1', displayName: 'op1', endpoint: 'PJSIP/op1' });
    await h.dispatch.operators.login('op1');
    await h.dispatch.operators.setSoftphone('op1', true);
    const a = call(1);
    await h.dispatch.enqueue(a);
    await h.dispatch.operators.setReady('op1');
    await h.ringer.nextRing();
    expect(h.ringer.ringing(a.callId)).to.equal(true);
    for (const attempt of [() => h.dispatch.operators.setNotReady('op1', 'break'), () => h.dispatch.operators.logout('op1')]) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(IllegalTransitionError);
    }
    expect(await h.dispatch.operators.snapshot('op1')).to.include({ state: 'offered', offeredCallId: a.callId });
    h.ringer.settle(a.callId, 'answered');
    await waitFor(async () => (await h.dispatch.operators.snapshot('op1')).state === 'on_call', 'on call');
  });
});
