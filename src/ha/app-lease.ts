import type { Redis } from 'ioredis';
import type { Clock, Timer } from '../core/clock';
import { errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';

export interface AppLeaseOptions {
  redis: Redis;
  /** Redis key of the lease, e.g. `siaga112:ha:ari-app:siaga112`. */
  key: string;
  /** This instance's name (unique per process). */
  holder: string;
  clock: Clock;
  logger: Logger;
  /** The lease runs out this long after the last renewal. @defaultValue 6000 */
  ttlMs?: number;
  /** Renew (holder) or try to take it (standby) this often. @defaultValue ttlMs / 3 */
  renewMs?: number;
  /** Called with true when this instance got the lease, false when it lost it. */
  onChange(held: boolean): void;
}

// Renew only while the lease is still ours (a compare-and-set in one step).
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Exactly one instance holds the ARI app: Asterisk gives an app name to one
 * WebSocket at a time, and a second connection would take it over silently.
 * The holder keeps a key in Redis (SET NX PX) and renews it; a standby tries
 * to take it at the same pace and gets it within `ttlMs + renewMs` of the
 * holder's death.
 *
 * A Redis that cannot be reached does not make the holder let go (nobody can
 * take the lease meanwhile, and dropping the app would drop calls); only a
 * renewal that finds another holder does. ApplicationReplaced is the backstop
 * if two instances ever hold the app at once.
 */
export class AppLease {
  private held = false;
  private stopped = true;
  private timer?: Timer;
  private pausedUntil = 0;
  private readonly ttlMs: number;
  private readonly renewMs: number;

  constructor(private readonly opts: AppLeaseOptions) {
    this.ttlMs = opts.ttlMs ?? 6000;
    this.renewMs = opts.renewMs ?? Math.max(200, Math.floor(this.ttlMs / 3));
  }

  get isHeld(): boolean {
    return this.held;
  }

  /** Start trying (and renewing); the first attempt runs now. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
  }

  /** Stop renewing; `release` gives the lease up at once (graceful stop) so a standby takes over now. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.held && release) {
      await this.opts.redis.eval(RELEASE, 1, this.opts.key, this.opts.holder).catch((err: unknown) => {
        this.opts.logger.warn('lease could not be released; it runs out by itself', { error: errorMessage(err) });
      });
    }
    this.set(false);
  }

  /**
   * Another instance took the app over (ApplicationReplaced): give the lease
   * up and do not try again for `ms`, so two instances never fight over it.
   */
  async yieldFor(ms: number): Promise<void> {
    this.pausedUntil = this.opts.clock.now() + ms;
    if (this.held) await this.opts.redis.eval(RELEASE, 1, this.opts.key, this.opts.holder).catch(() => undefined);
    this.set(false);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimer(this.renewMs, () => void this.tick());
  }

  private async tick(): Promise<void> {
    try {
      if (this.held) {
        const renewed = Number(await this.opts.redis.eval(RENEW, 1, this.opts.key, this.opts.holder, String(this.ttlMs)));
        if (renewed !== 1 && !this.stopped) {
          // Someone else holds it now (our key ran out while Redis could not be reached).
          const other = await this.opts.redis.set(this.opts.key, this.opts.holder, 'PX', this.ttlMs, 'NX');
          if (other !== 'OK') {
            this.opts.logger.warn('the ARI app lease was taken by another instance', { key: this.opts.key });
            this.set(false);
          }
        }
      } else if (this.opts.clock.now() >= this.pausedUntil) {
        const got = await this.opts.redis.set(this.opts.key, this.opts.holder, 'PX', this.ttlMs, 'NX');
        if (got === 'OK' && !this.stopped) this.set(true);
      }
    } catch (err) {
      this.opts.logger.warn('lease check failed (Redis unreachable?); keeping the current role', { held: this.held, error: errorMessage(err) });
    } finally {
      this.schedule();
    }
  }

  private set(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    this.opts.logger.info(held ? 'this instance now holds the ARI app' : 'this instance stands by (ARI app held elsewhere)', { key: this.opts.key, holder: this.opts.holder });
    try {
      this.opts.onChange(held);
    } catch (err) {
      this.opts.logger.error('lease handler failed', { error: errorMessage(err) });
    }
  }
}
