import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock';
import { NotFoundError, ValidationError } from '../core/errors';
import type { OperatorAccount, OperatorState } from '../domain/types';
import { OPERATOR_STATES } from '../domain/types';
import type { DispatchKeys } from './dispatch-keys';
import { OPERATOR_TRANSITIONS } from '../domain/operator/operator-state';
import type { DispatchScripts } from './redis-scripts';

/** One operator as the pool sees them. */
export interface OperatorSnapshot {
  id: string;
  endpoint: string;
  displayName: string;
  state: OperatorState;
  /** Logged in, ready, softphone registered, no call, no wrap-up: can be offered a call. */
  free: boolean;
  softphoneRegistered: boolean;
  /** Why not ready (`missed`, `break`, ...), when not ready. */
  reason?: string;
  /** The call they are connected to. */
  callId?: string;
  /** The call ringing on their phone. */
  offeredCallId?: string;
  wrapUpCallId?: string;
  /** Epoch ms when wrap-up ends by itself. */
  wrapUpUntil?: number;
  /** Epoch ms since when they are ready (the longest idle gets the next call). */
  idleSince?: number;
}

/** What one pool change did. */
export interface OperatorChange {
  operatorId: string;
  from: OperatorState;
  to: OperatorState;
  /** Free after the change. */
  free: boolean;
}

export type OperatorAction = 'login' | 'logout' | 'ready' | 'not_ready' | 'softphone';

export const TRANSITIONS_JSON = JSON.stringify(OPERATOR_TRANSITIONS);

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function checkId(what: string, id: unknown): string {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new ValidationError(`${what} id must be 1-100 letters, digits, _ . or -`, [{ field: `${what}Id`, message: 'expected an id such as op1' }]);
  }
  return id;
}

/**
 * The operator pool in Redis. Every change that two instances could race on
 * is one Lua script; this class only shapes arguments and results.
 */
export class OperatorPool {
  constructor(
    private readonly redis: Redis,
    private readonly scripts: DispatchScripts,
    private readonly keys: DispatchKeys,
    private readonly clock: Clock,
  ) {}

  async define(account: OperatorAccount): Promise<void> {
    checkId('operator', account.id);
    if (!account.endpoint) throw new ValidationError('operator endpoint is required', [{ field: 'endpoint', message: 'expected PJSIP/op1, client:op1 or sip:...' }]);
    await this.scripts.run('op-define', [this.keys.operator(account.id), this.keys.operators], [account.id, account.endpoint, account.displayName]);
  }

  async change(operatorId: string, action: OperatorAction, arg = ''): Promise<OperatorChange & { softphoneChanged: boolean }> {
    checkId('operator', operatorId);
    const r = (await this.scripts.run(
      'op-change',
      [this.keys.operator(operatorId), this.keys.free, this.keys.loggedIn, this.keys.noOperatorSince, this.keys.wrapUps, this.keys.leases],
      [action, arg, this.clock.now(), TRANSITIONS_JSON, operatorId],
    )) as [string, string, number, number];
    return { operatorId, from: toState(r[0]), to: toState(r[1]), free: r[2] === 1, softphoneChanged: r[3] === 1 };
  }

  /** Reserve the free operator idle longest, or undefined when none is free. */
  async reserve(token: string, leaseMs: number): Promise<{ id: string; endpoint: string } | undefined> {
    const r = (await this.scripts.run('op-reserve', [this.keys.free, this.keys.leases], [this.keys.operatorPrefix, token, this.clock.now(), leaseMs, TRANSITIONS_JSON])) as
      | [string, string]
      | null;
    return r ? { id: r[0], endpoint: r[1] } : undefined;
  }

  /** Give back an unused reservation; the operator keeps their place among the free. */
  async release(operatorId: string, token: string): Promise<boolean> {
    const r = await this.scripts.run('op-release', [this.keys.operator(operatorId), this.keys.free, this.keys.leases], [token, this.clock.now()]);
    return r === 1;
  }

  async renew(operatorId: string, token: string, until: number): Promise<boolean> {
    return (await this.scripts.run('op-renew', [this.keys.operator(operatorId), this.keys.leases], [token, until])) === 1;
  }

  async snapshot(operatorId: string): Promise<OperatorSnapshot> {
    checkId('operator', operatorId);
    const h = await this.redis.hgetall(this.keys.operator(operatorId));
    if (!h.id) throw new NotFoundError('operator', operatorId);
    return toSnapshot(h);
  }

  async list(): Promise<OperatorSnapshot[]> {
    const ids = (await this.redis.smembers(this.keys.operators)).sort();
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.keys.operator(id));
    const rows = (await pipe.exec()) ?? [];
    return rows.map(([, h]) => h as Record<string, string>).filter((h) => !!h.id).map(toSnapshot);
  }

  async loggedInCount(): Promise<number> {
    return this.redis.scard(this.keys.loggedIn);
  }

  /** Epoch ms since when nobody is logged in (undefined while someone is). */
  async noOperatorSince(): Promise<number | undefined> {
    if ((await this.loggedInCount()) > 0) return undefined;
    // Nobody ever logged in: the clock starts at the first question.
    await this.redis.set(this.keys.noOperatorSince, String(this.clock.now()), 'NX');
    const v = await this.redis.get(this.keys.noOperatorSince);
    return v ? Number(v) : undefined;
  }

  /** Reservations whose lease ended: [operator id, token, offered call id]. */
  async expiredLeases(now: number): Promise<Array<{ operatorId: string; token: string; callId: string }>> {
    const ids = await this.redis.zrangebyscore(this.keys.leases, '-inf', now);
    const out: Array<{ operatorId: string; token: string; callId: string }> = [];
    for (const id of ids) {
      const [token, callId] = await this.redis.hmget(this.keys.operator(id), 'resv', 'offer');
      if (token) out.push({ operatorId: id, token, callId: callId ?? '' });
      else await this.redis.zrem(this.keys.leases, id);
    }
    return out;
  }

  async expiredWrapUps(now: number): Promise<Array<{ operatorId: string; callId: string }>> {
    const ids = await this.redis.zrangebyscore(this.keys.wrapUps, '-inf', now);
    const out: Array<{ operatorId: string; callId: string }> = [];
    for (const id of ids) out.push({ operatorId: id, callId: (await this.redis.hget(this.keys.operator(id), 'wrapCall')) ?? '' });
    return out;
  }
}

export function toState(s: string): OperatorState {
  if ((OPERATOR_STATES as readonly string[]).includes(s)) return s as OperatorState;
  throw new Error(`unexpected operator state ${s} from Redis`);
}

function toSnapshot(h: Record<string, string>): OperatorSnapshot {
  const state = toState(h.state || 'offline');
  const num = (v: string | undefined): number | undefined => (v ? Number(v) : undefined);
  const str = (v: string | undefined): string | undefined => (v ? v : undefined);
  return {
    id: h.id,
    endpoint: h.endpoint ?? '',
    displayName: h.name ?? h.id,
    state,
    free: state === 'ready' && h.sp === '1',
    softphoneRegistered: h.sp === '1',
    reason: state === 'not_ready' || state === 'offline' ? str(h.reason) : undefined,
    callId: str(h.call),
    offeredCallId: str(h.offer),
    wrapUpCallId: str(h.wrapCall),
    wrapUpUntil: num(h.wrapUntil),
    idleSince: state === 'ready' ? num(h.idle) : undefined,
  };
}
