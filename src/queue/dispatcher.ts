import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Clock, Timer } from '../core/clock';
import { errorMessage } from '../core/errors';
import { callLogger, type Logger } from '../core/logger';
import type { DomainEventBus } from '../domain/events';
import type { AppConfig } from '../config/schema';
import type { Offer, OperatorRinger, RingResult } from '../ports/telephony';
import type { CallQueue, WaitingCall } from './call-queue';
import type { DispatchKeys } from './dispatch-keys';
import type { DispatchObserver } from './dispatch-observer';
import { TRANSITIONS_JSON, toState, type OperatorChange, type OperatorPool } from './operator-pool';
import type { DispatchScripts } from './redis-scripts';

export type DispatchConfig = AppConfig['dispatch'];

/** Dispatch rounds one instance runs at the same time. */
export const MAX_PARALLEL_ROUNDS = 4;

/** An ended call's ledger entry stays this long (for late, duplicate events). */
export const ENDED_CALL_TTL_MS = 24 * 3600 * 1000;

/** Everything the dispatch parts share; built by createDispatch. */
export interface DispatchContext {
  redis: Redis;
  scripts: DispatchScripts;
  keys: DispatchKeys;
  pool: OperatorPool;
  queue: CallQueue;
  clock: Clock;
  config: DispatchConfig;
  ringer: OperatorRinger;
  observer: DispatchObserver;
  events: DomainEventBus;
  logger: Logger;
  instanceId: string;
  /** Tell every instance's dispatcher to look again (Redis pub/sub). */
  wakeAll(): void;
}

interface LiveOffer {
  token: string;
  operatorId: string;
  job: Job<WaitingCall>;
  renew?: Timer;
}

type SettleReply = ['connected' | 'requeued' | 'abandoned', string, string, number, number] | ['stale'];

/**
 * Pairs waiting calls with free operators. Woken by events only (kick):
 * a call queued, an operator freed, a wake message from another instance.
 * Each round reserves the operator idle longest (Lua), fetches the head of
 * the queue (BullMQ), binds the two (Lua) and rings. The ring runs
 * concurrently; the round goes on while both a call and an operator remain.
 */
export class Dispatcher {
  private active = 0;
  private again = false;
  private stopped = true;
  private seq = 0;
  private readonly rounds = new Set<Promise<void>>();
  /** Offers of this instance, by token. */
  private readonly offers = new Map<string, LiveOffer>();
  private readonly settling = new Set<Promise<void>>();

  constructor(private readonly ctx: DispatchContext) {}

  private get leaseMs(): number {
    return this.ctx.config.offerLeaseSeconds * 1000;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Offers in progress on this instance. */
  get liveOffers(): number {
    return this.offers.size;
  }

  /** Stop taking new offers; `crash` also walks away from offers in progress, as a dying process would. */
  async stop(crash = false): Promise<void> {
    this.stopped = true;
    if (crash) {
      for (const o of this.offers.values()) o.renew?.cancel();
      this.offers.clear();
      return;
    }
    await this.idle();
  }

  /** Resolves when no round runs and no offer of this instance is open. */
  async idle(): Promise<void> {
    while (this.rounds.size > 0 || this.settling.size > 0) {
      await Promise.all([...this.rounds, ...this.settling]);
    }
  }

  /**
   * Look for pairs now. Up to MAX_PARALLEL_ROUNDS run at once (each step is
   * atomic in Redis, as between instances), so a burst of freed operators is
   * not served one Redis round trip after another; further kicks coalesce.
   */
  kick(): void {
    if (this.stopped) return;
    if (this.active >= MAX_PARALLEL_ROUNDS) {
      this.again = true;
      return;
    }
    this.active += 1;
    const p = this.loop();
    this.rounds.add(p);
    void p.finally(() => this.rounds.delete(p));
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.round();
        } catch (err) {
          this.ctx.logger.error('dispatch round failed', { err: errorMessage(err) });
        }
      } while (this.again && !this.stopped);
    } finally {
      this.active -= 1;
    }
  }

  private async round(): Promise<void> {
    const { pool, queue, scripts, keys, clock } = this.ctx;
    for (;;) {
      if (this.stopped) return;
      const token = `${this.ctx.instanceId}.${process.pid}.${++this.seq}`;
      const op = await pool.reserve(token, this.leaseMs);
      if (!op) return;
      let job: Job<WaitingCall> | undefined;
      try {
        job = await queue.fetch();
      } catch (err) {
        await pool.release(op.id, token);
        throw err;
      }
      if (!job) {
        await pool.release(op.id, token);
        // A call queued while we held the operator found nobody free: look again.
        if ((await queue.waitingCount()) > 0) continue;
        return;
      }
      const callId = job.data.callId;
      const bound = (await scripts.run('call-bind', [keys.operator(op.id), keys.call(callId), keys.leases], [token, clock.now(), this.leaseMs])) as [string, number?];
      switch (bound[0]) {
        case 'ok':
          this.startOffer({ token, operatorId: op.id, job }, op.endpoint, bound[1] ?? 1);
          continue;
        case 'busy':
          // Its previous offer is still settling; that instance wakes everyone when done.
          await queue.putBack(job);
          await pool.release(op.id, token);
          return;
        case 'lost':
          await queue.putBack(job);
          continue;
        default:
          // 'done' or 'nocall': the call no longer waits; its job is stale.
          if (bound[0] === 'nocall') this.ctx.logger.error('queued job without a call ledger entry; removed', { callId, jobId: job.id });
          if (job.id) await queue.remove(job.id);
          await pool.release(op.id, token);
          continue;
      }
    }
  }

  private startOffer(live: LiveOffer, endpoint: string, attempt: number): void {
    this.offers.set(live.token, live);
    const p = this.runOffer(live, endpoint, attempt).catch((err) => {
      callLogger(this.ctx.logger, live.job.data.callId).error('offer failed', { err: errorMessage(err), operatorId: live.operatorId });
    });
    this.settling.add(p);
    void p.finally(() => this.settling.delete(p));
  }

  private async runOffer(live: LiveOffer, endpoint: string, attempt: number): Promise<void> {
    const { clock, config, observer, events, ringer, pool } = this.ctx;
    const call = live.job.data;
    const log = callLogger(this.ctx.logger, call.callId);
    const ringTimeoutMs = config.ringTimeoutSeconds * 1000;
    const offer: Offer = {
      callId: call.callId,
      operatorId: live.operatorId,
      endpoint,
      callerNumber: call.callerNumber,
      category: call.category,
      language: call.language,
      ringTimeoutMs,
    };
    const at = clock.now();
    // Renew the lease while the phone rings, but never past a ring that should have ended.
    const renewUntil = at + ringTimeoutMs + this.leaseMs;
    const renew = (): void => {
      live.renew = clock.setTimer(this.leaseMs / 3, () => {
        if (!this.offers.has(live.token) || clock.now() > renewUntil) return;
        pool.renew(live.operatorId, live.token, clock.now() + this.leaseMs).catch((err) => log.warn('lease renewal failed', { err: errorMessage(err) }));
        renew();
      });
    };
    renew();

    // The ring command first: nothing (not even the record write) delays the operator's phone.
    const ringing = Promise.resolve()
      .then(() => ringer.ring(offer))
      .catch((err): RingResult => {
        log.warn('ring failed', { err: errorMessage(err), operatorId: live.operatorId });
        return 'failed';
      });
    await this.observe(log, 'onOffered', () => observer.onOffered({ at, callId: call.callId, operatorId: live.operatorId, attempt }));
    events.publish({ type: 'call.offered', at, callId: call.callId, operatorId: live.operatorId });
    await this.reportOperator({ operatorId: live.operatorId, from: 'ready', to: 'offered', free: false }, at);
    const result = await ringing;
    live.renew?.cancel();
    if (!this.offers.has(live.token)) return; // crashed (stop with crash): walk away, as a dead process would
    try {
      await this.settle(live, result);
    } finally {
      this.offers.delete(live.token);
    }
  }

  private async settle(live: LiveOffer, result: RingResult): Promise<void> {
    const { clock, observer, events, queue, scripts, keys, logger } = this.ctx;
    const call = live.job.data;
    const log = callLogger(logger, call.callId);
    const operatorId = live.operatorId;
    const settleKeys = [keys.operator(operatorId), keys.call(call.callId), keys.leases, keys.free];

    if (result === 'answered') {
      const r = (await scripts.run('call-settle', settleKeys, [live.token, 'answered', clock.now(), TRANSITIONS_JSON, ENDED_CALL_TTL_MS, ''])) as SettleReply;
      if (r[0] !== 'connected') {
        log.error('answered, but the offer had already been taken back', { operatorId, reply: r[0] });
        return;
      }
      const at = clock.now();
      await this.reportOperator(change(operatorId, r), at);
      await this.observe(log, 'onAnswered', () => observer.onAnswered({ at, callId: call.callId, operatorId }));
      events.publish({ type: 'call.answered', at, callId: call.callId, operatorId });
      await queue.complete(live.job, operatorId).catch((err) => log.warn('could not complete the job', { err: errorMessage(err) }));
      return;
    }

    if (result === 'caller_gone') {
      const r = (await scripts.run('call-settle', settleKeys, [live.token, 'caller_gone', clock.now(), TRANSITIONS_JSON, ENDED_CALL_TTL_MS, ''])) as SettleReply;
      if (r[0] === 'stale') return;
      await this.finishAbandonedWhileRinging(live.job.id ?? '', call.callId, call.callerNumber, operatorId, r);
      return;
    }

    // No answer, busy, rejected, unreachable, failed: the call goes back with its place.
    const at = clock.now();
    await this.observe(log, 'onMissed', () => observer.onMissed({ at, callId: call.callId, operatorId, result }));
    events.publish({ type: 'call.missed', at, callId: call.callId, operatorId, result });
    // Back in BullMQ first, then the ledger: a crash in between leaves an offer whose
    // lease runs out, never a ledger entry that says queued for a job nobody can fetch.
    await queue.putBack(live.job);
    const reason = result === 'unreachable' || result === 'failed' ? result : 'missed';
    const r = (await scripts.run('call-settle', settleKeys, [live.token, 'missed', clock.now(), TRANSITIONS_JSON, ENDED_CALL_TTL_MS, reason])) as SettleReply;
    if (r[0] === 'stale') {
      log.warn('missed offer had already been taken back', { operatorId });
      return;
    }
    if (r[0] === 'abandoned') {
      await this.finishAbandonedWhileRinging(live.job.id ?? '', call.callId, call.callerNumber, operatorId, r);
      return;
    }
    await this.reportOperator(change(operatorId, r), clock.now(), reason);
    await this.finishRequeued(call.callId, 'missed');
  }

  private async finishRequeued(callId: string, reason: 'missed' | 'lease_expired'): Promise<void> {
    const { clock, observer, events } = this.ctx;
    const at = clock.now();
    await this.observe(callLogger(this.ctx.logger, callId), 'onRequeued', () => observer.onRequeued({ at, callId, reason }));
    events.publish({ type: 'call.requeued', at, callId });
    this.kick();
    this.ctx.wakeAll();
  }

  private async finishAbandonedWhileRinging(jobId: string, callId: string, callerNumber: string, operatorId: string, r: SettleReply): Promise<void> {
    const { clock, observer, events, queue } = this.ctx;
    const at = clock.now();
    await this.reportOperator(change(operatorId, r), at);
    await this.observe(callLogger(this.ctx.logger, callId), 'onAbandoned', () => observer.onAbandoned({ at, callId, callerNumber, where: 'ringing', operatorId }));
    events.publish({ type: 'call.abandoned', at, callId, where: 'ringing' });
    if (jobId) await queue.remove(jobId).catch(() => false);
    // The operator is free again.
    this.kick();
    this.ctx.wakeAll();
  }

  /** Take back offers and reservations whose lease ran out (their dispatcher died). */
  async sweepLeases(): Promise<void> {
    const { pool, clock, scripts, keys, redis, queue } = this.ctx;
    const now = clock.now();
    let freed = false;
    for (const l of await pool.expiredLeases(now)) {
      if (this.offers.has(l.token)) continue; // ours and alive: renewal is on its way
      if (!l.callId) {
        if (await pool.release(l.operatorId, l.token)) {
          await this.reportOperator({ operatorId: l.operatorId, from: 'offered', to: 'ready', free: true }, now, 'lease_expired');
          freed = true;
        }
        continue;
      }
      const [jobId, callerNumber] = await redis.hmget(keys.call(l.callId), 'jobId', 'caller');
      if (jobId) await queue.putBack(jobId);
      const r = (await scripts.run('call-settle', [keys.operator(l.operatorId), keys.call(l.callId), keys.leases, keys.free], [l.token, 'expired', now, TRANSITIONS_JSON, ENDED_CALL_TTL_MS, ''])) as SettleReply;
      if (r[0] === 'stale') continue;
      this.ctx.logger.warn('offer lease expired; call taken back', { callId: l.callId, operatorId: l.operatorId });
      if (r[0] === 'abandoned') {
        await this.finishAbandonedWhileRinging(jobId ?? '', l.callId, callerNumber ?? '', l.operatorId, r);
      } else {
        await this.reportOperator(change(l.operatorId, r), now, 'lease_expired');
        await this.finishRequeued(l.callId, 'lease_expired');
      }
      freed = true;
    }
    if (freed) {
      this.kick();
      this.ctx.wakeAll();
    }
  }

  /** operator.state event and observer call, when the state changed. */
  async reportOperator(c: OperatorChange, at: number, reason?: string): Promise<void> {
    if (c.from === c.to) return;
    const log = this.ctx.logger.child({ operatorId: c.operatorId });
    await this.observe(log, 'onOperatorState', () => this.ctx.observer.onOperatorState({ at, operatorId: c.operatorId, from: c.from, to: c.to, reason }));
    this.ctx.events.publish({ type: 'operator.state', at, operatorId: c.operatorId, from: c.from, to: c.to, reason });
  }

  async observe(log: Logger, what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      log.error(`observer ${what} failed`, { err: errorMessage(err) });
    }
  }
}

function change(operatorId: string, r: SettleReply): OperatorChange {
  if (r[0] === 'stale') throw new Error('no change in a stale reply');
  return { operatorId, from: toState(r[1]), to: toState(r[2]), free: r[3] === 1 };
}

/** Job ids are `<queuedAt>-<callId>`. */
export function jobIdToCallId(jobId: string): string {
  return jobId.slice(jobId.indexOf('-') + 1);
}
