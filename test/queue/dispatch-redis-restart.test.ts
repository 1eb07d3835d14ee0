import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock';
import { PrivateRedis } from '../support/redis';
import { call, freeOperators, sleep, startHarness, waitFor, type Harness } from './dispatch-harness';

/**
 * What survives a Redis restart (appendonly yes): the waiting jobs in their
 * order, the call ledger, the operator pool. Required settings: appendonly
 * yes, appendfsync everysec (loses at most about a second on a crash) or
 * always, maxmemory-policy noeviction (an evicted job would be a lost call).
 */
describe('queue: Redis restarted while calls wait', function () {
  this.timeout(60_000);
  let redis: PrivateRedis;
  let h: Harness | undefined;

  beforeEach(async () => {
    redis = await new PrivateRedis({ appendonly: true }).start();
  });
  afterEach(async () => {
    await h?.dispatch.stop({ crash: true });
    h = undefined;
    await redis.destroy();
  });

  for (const hard of [false, true]) {
    it(`keeps the waiting calls in order and dispatches them after a ${hard ? 'hard kill (SIGKILL, after the fsync second)' : 'clean restart'}`, async () => {
      const clock = new ManualClock();
      h = await startHarness(redis.url, clock);
      const calls = [call(3), call(1), call(2), call(1)];
      for (const c of calls) {
        await h.dispatch.enqueue(c);
        clock.advance(5);
      }
      await h.dispatch.operators.define({ id: 'op1', displayName: 'op1', endpoint: 'PJSIP/op1' });
      await h.dispatch.operators.login('op1');
      if (hard) await sleep(1500); // appendfsync everysec: a kill loses at most the last second
      await redis.restart(hard);
      // The same instance carries on: ioredis reconnects, scripts are loaded again.
      await waitFor(async () => (await h?.dispatch.queueSnapshot().catch(() => []))?.length === 4, 'jobs back after restart', 10_000);
      expect((await h.dispatch.queueSnapshot()).map((c) => c.callId)).to.deep.equal([calls[1], calls[3], calls[2], calls[0]].map((c) => c.callId));
      expect((await h.dispatch.operators.snapshot('op1')).state).to.equal('not_ready');
      h.ringer.auto = () => 'answered';
      await freeOperators(h.dispatch, []);
      await h.dispatch.operators.setSoftphone('op1', true);
      await h.dispatch.operators.setReady('op1');
      const first = await h.ringer.nextRing(1);
      expect(first.callId).to.equal(calls[1].callId);
    });
  }
});
