import type { Clock } from '../core/clock';
import { TelephonyError } from '../core/errors';

/**
 * Neither ari-client nor asterisk-manager puts a time limit on a request:
 * a PBX that stops answering would hang the caller's call forever. Every
 * request goes through this.
 */
export function withTimeout<T>(clock: Clock, ms: number, what: string, work: PromiseLike<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = clock.setTimer(ms, () => {
      if (done) return;
      done = true;
      reject(new TelephonyError(`${what}: no answer from the PBX within ${ms} ms`, false, { timeoutMs: ms }));
    });
    Promise.resolve(work).then(
      (value) => {
        if (done) return;
        done = true;
        timer.cancel();
        resolve(value);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        timer.cancel();
        reject(err);
      },
    );
  });
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ms, resolve));
}

/**
 * Exponential backoff capped at `maxMs`, with no limit on attempts: an
 * emergency line never gives up on its PBX.
 */
export class CappedBackoff {
  private attempt = 0;
  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  next(): number {
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}
