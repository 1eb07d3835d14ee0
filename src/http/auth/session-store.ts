import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock';

/** What the service remembers about a logged-in browser. */
export interface Session {
  accountId: string;
  /** Synchronizer token: the page echoes it in X-CSRF-Token on state changes. */
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionOptions {
  /** A session unused this long ends. @defaultValue 2 hours */
  idleMs?: number;
  /** A session ends this long after login however busy (one shift). @defaultValue 12 hours */
  absoluteMs?: number;
  /** Record activity at most this often, to save a Redis write per request. @defaultValue 60 s */
  touchEveryMs?: number;
  /** @defaultValue `siaga112:` */
  keyPrefix?: string;
}

const token = (): string => randomBytes(32).toString('base64url');
/** Redis holds only a hash of the id: a copy of Redis's data does not open anyone's session. */
const digest = (id: string): string => createHash('sha256').update(id).digest('hex');

/**
 * Sessions in Redis under an opaque random id (256 bits). Idle and absolute
 * expiry are decided with the injected clock; Redis's own TTL only clears
 * what is left behind. Each account keeps a set of its sessions so that
 * disabling it or resetting its password ends them all at once.
 */
export class SessionStore {
  readonly idleMs: number;
  readonly absoluteMs: number;
  private readonly touchEveryMs: number;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly clock: Clock,
    options: SessionOptions = {},
  ) {
    this.idleMs = options.idleMs ?? 2 * 3600_000;
    this.absoluteMs = options.absoluteMs ?? 12 * 3600_000;
    this.touchEveryMs = options.touchEveryMs ?? 60_000;
    this.prefix = options.keyPrefix ?? 'siaga112:';
  }

  private key(id: string): string {
    return `${this.prefix}session:${digest(id)}`;
  }

  private accountKey(accountId: string): string {
    return `${this.prefix}account-sessions:${accountId}`;
  }

  /** Start a session; returns its id (for the cookie) and the session. */
  async create(accountId: string): Promise<{ id: string; session: Session }> {
    const id = token();
    const now = this.clock.now();
    const session: Session = { accountId, csrfToken: token(), createdAt: now, lastSeenAt: now };
    await this.redis
      .multi()
      .set(this.key(id), JSON.stringify(session), 'PX', this.idleMs)
      .sadd(this.accountKey(accountId), digest(id))
      .pexpire(this.accountKey(accountId), this.absoluteMs)
      .exec();
    return { id, session };
  }

  /** The live session for this id, with its activity recorded; undefined when unknown or expired. */
  async touch(id: string): Promise<Session | undefined> {
    const raw = await this.redis.get(this.key(id));
    if (!raw) return undefined;
    const session = JSON.parse(raw) as Session;
    const now = this.clock.now();
    if (now - session.lastSeenAt >= this.idleMs || now - session.createdAt >= this.absoluteMs) {
      await this.destroy(id);
      return undefined;
    }
    if (now - session.lastSeenAt >= this.touchEveryMs) {
      session.lastSeenAt = now;
      const ttl = Math.min(this.idleMs, session.createdAt + this.absoluteMs - now);
      // XX: never resurrect a session that a logout removed meanwhile.
      await this.redis.set(this.key(id), JSON.stringify(session), 'PX', Math.max(1, ttl), 'XX');
    }
    return session;
  }

  async destroy(id: string): Promise<void> {
    const raw = await this.redis.getdel(this.key(id));
    if (raw) await this.redis.srem(this.accountKey((JSON.parse(raw) as Session).accountId), digest(id));
  }

  /** End every session of an account, except the one with id `keep` (the admin doing it). */
  async destroyAllFor(accountId: string, keep?: string): Promise<number> {
    const keepDigest = keep === undefined ? undefined : digest(keep);
    const digests = (await this.redis.smembers(this.accountKey(accountId))).filter((d) => d !== keepDigest);
    if (digests.length === 0) return 0;
    const multi = this.redis.multi();
    for (const d of digests) multi.del(`${this.prefix}session:${d}`);
    multi.srem(this.accountKey(accountId), ...digests);
    await multi.exec();
    return digests.length;
  }
}
