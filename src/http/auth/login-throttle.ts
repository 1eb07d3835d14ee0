import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock';

export interface ThrottleLimit {
  /** Failures allowed within the window; the next attempt is refused. */
  max: number;
  windowMs: number;
}

export interface LoginThrottleOptions {
  /** @defaultValue 5 failures in 15 minutes */
  perUser?: ThrottleLimit;
  /**
   * Higher than per user: a centre's operators often share one public
   * address behind NAT. @defaultValue 20 failures in 15 minutes
   */
  perIp?: ThrottleLimit;
  /** @defaultValue `siaga112:` */
  keyPrefix?: string;
}

/**
 * Failed logins counted in Redis (shared by every instance), per username
 * and per client address, in a sliding window measured with the injected
 * clock: a sorted set of failure times per key.
 */
export class LoginThrottle {
  private readonly perUser: ThrottleLimit;
  private readonly perIp: ThrottleLimit;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    options: LoginThrottleOptions = {},
  ) {
    this.perUser = options.perUser ?? { max: 5, windowMs: 15 * 60_000 };
    this.perIp = options.perIp ?? { max: 20, windowMs: 15 * 60_000 };
    this.prefix = `${options.keyPrefix ?? 'siaga112:'}login-failures:`;
  }

  private keys(username: string, ip: string): Array<[string, ThrottleLimit]> {
    return [
      [`${this.prefix}user:${username}`, this.perUser],
      [`${this.prefix}ip:${ip}`, this.perIp],
    ];
  }

  /** Seconds to wait before trying again, or 0 when an attempt is allowed now. */
  async retryAfterSeconds(username: string, ip: string): Promise<number> {
    const now = this.clock.now();
    let waitMs = 0;
    for (const [key, limit] of this.keys(username, ip)) {
      const since = now - limit.windowMs;
      const [, recent] = (await this.redis
        .multi()
        .zremrangebyscore(key, '-inf', since)
        .zrangebyscore(key, since + 1, '+inf', 'WITHSCORES')
        .exec()) as [[Error | null, number], [Error | null, string[]]];
      const times = recent[1].filter((_, i) => i % 2 === 1).map(Number);
      if (times.length < limit.max) continue;
      // Allowed again once enough of the oldest failures have left the window.
      const freeingAt = (times[times.length - limit.max] as number) + limit.windowMs;
      waitMs = Math.max(waitMs, freeingAt - now);
    }
    return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    const now = this.clock.now();
    const multi = this.redis.multi();
    for (const [key, limit] of this.keys(username, ip)) {
      multi.zadd(key, now, `${now}:${randomBytes(6).toString('hex')}`);
      multi.pexpire(key, limit.windowMs);
    }
    await multi.exec();
  }

  /** A successful login clears the username's failures (not the address's). */
  async recordSuccess(username: string): Promise<void> {
    await this.redis.del(`${this.prefix}user:${username}`);
  }
}
