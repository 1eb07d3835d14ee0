/**
 * The one source of time. Domain code and adapters take a Clock instead of
 * calling Date.now()/setTimeout so tests can move time without sleeping.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): Timer;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, ms));
    // A pending timer must never keep a stopping process alive.
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  }
}

interface PendingTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that only moves when the test says so. */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private pending: PendingTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): Timer {
    const timer: PendingTimer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.pending.push(timer);
    return { cancel: () => (this.pending = this.pending.filter((t) => t.id !== timer.id)) };
  }

  /** Move time forward, firing due timers in time order (ties in creation order). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.pending
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.pending = this.pending.filter((t) => t.id !== due.id);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = target;
  }

  /** Number of timers still waiting. */
  pendingTimers(): number {
    return this.pending.length;
  }
}

export const systemClock: Clock = new SystemClock();
