import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock';

export interface ReplayGuardOptions {
  /** How long a (CallSid, event, step) key is remembered. @defaultValue 21600 (6 h, longer than any call) */
  ttlSeconds?: number;
  /** How long a replay waits for the first request's answer. @defaultValue 8000 (under Twilio's 15 s) */
  waitMs?: number;
  /** @defaultValue siaga112:twilio:seen: */
  prefix?: string;
}

export interface GuardedResult {
  body: string;
  /** True when this request was a replay and the handler did not run. */
  replayed: boolean;
}

const PENDING = 'pending';
const DONE = 'done:';

/**
 * Twilio retries webhooks and anyone holding a signed request can replay it
 * (the signature has no timestamp). Each (CallSid, event, step) runs its
 * handler once: the first request claims a Redis key with SET NX and stores
 * its response there; a replay gets that same response back (waiting for it
 * when the first is still running), so the record changes once and the
 * caller hears the same thing. A failed handler releases the key.
 */
export class WebhookReplayGuard {
  private readonly ttlSeconds: number;
  private readonly waitMs: number;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    options: ReplayGuardOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 6 * 3600;
    this.waitMs = options.waitMs ?? 8000;
    this.prefix = options.prefix ?? 'siaga112:twilio:seen:';
  }

  /**
   * Run `produce` once per key. `onReplayTimeout` answers a replay whose
   * first request has not finished within waitMs (or failed meanwhile).
   */
  async once(key: string, produce: () => Promise<string>, onReplayTimeout: () => string): Promise<GuardedResult> {
    const fullKey = this.prefix + key;
    const claimed = await this.redis.set(fullKey, PENDING, 'EX', this.ttlSeconds, 'NX');
    if (claimed === 'OK') {
      let body: string;
      try {
        body = await produce();
      } catch (err) {
        await this.redis.del(fullKey).catch(() => undefined);
        throw err;
      }
      await this.redis.set(fullKey, DONE + body, 'EX', this.ttlSeconds);
      return { body, replayed: false };
    }
    const deadline = this.clock.now() + this.waitMs;
    for (;;) {
      const value = await this.redis.get(fullKey);
      if (value?.startsWith(DONE)) return { body: value.slice(DONE.length), replayed: true };
      if (value === null || this.clock.now() >= deadline) return { body: onReplayTimeout(), replayed: true };
      await new Promise<void>((resolve) => this.clock.setTimer(50, resolve));
    }
  }
}
