import type { Clock, Timer } from '../core/clock';

/**
 * Real time running `factor` times faster: timers fire after ms/factor real
 * milliseconds and now() advances `factor` ms per real ms. For demos and
 * benchmarks that want minutes of calls in seconds; tests may use ManualClock.
 */
export class ScaledClock implements Clock {
  private readonly realStart: number;
  private readonly virtualStart: number;

  constructor(
    private readonly base: Clock,
    readonly factor: number,
  ) {
    if (!(factor > 0)) throw new RangeError('ScaledClock factor must be > 0');
    this.realStart = base.now();
    this.virtualStart = base.now();
  }

  now(): number {
    return Math.round(this.virtualStart + (this.base.now() - this.realStart) * this.factor);
  }

  setTimer(ms: number, fn: () => void): Timer {
    return this.base.setTimer(ms / this.factor, fn);
  }
}
