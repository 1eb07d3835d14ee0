import { expect } from 'chai';
import { ManualClock } from '../../src/core/clock';

describe('ManualClock', () => {
  it('fires timers in time order only when advanced past them', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimer(50, () => fired.push('b'));
    clock.setTimer(10, () => fired.push('a'));
    const cancelled = clock.setTimer(20, () => fired.push('x'));
    cancelled.cancel();
    clock.advance(9);
    expect(fired).to.deep.equal([]);
    clock.advance(41);
    expect(fired).to.deep.equal(['a', 'b']);
    expect(clock.now()).to.equal(1050);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('fires a timer set by a timer within the same advance', () => {
    const clock = new ManualClock(0);
    const at: number[] = [];
    clock.setTimer(10, () => clock.setTimer(10, () => at.push(clock.now())));
    clock.advance(25);
    expect(at).to.deep.equal([20]);
  });
});
