import { randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Clock, Timer } from '../core/clock';
import { ConflictError, NotFoundError, ValidationError, errorMessage } from '../core/errors';
import { callLogger, type Logger } from '../core/logger';
import type { DomainEventBus } from '../domain/events';
import type { OperatorAccount } from '../domain/types';
import type { OperatorRinger, WaitingCallerControl } from '../ports/telephony';
import { CallQueue, MAX_PRIORITY, type WaitingCall } from './call-queue';
import { DispatchKeys } from './dispatch-keys';
import { noopObserver, type DispatchObserver } from './dispatch-observer';
import { Dispatcher, ENDED_CALL_TTL_MS, type DispatchConfig, type DispatchContext } from './dispatcher';
import { checkId, OperatorPool, TRANSITIONS_JSON, toState, type OperatorAction, type OperatorChange, type OperatorSnapshot } from './operator-pool';
import { defineScripts } from './redis-scripts';
import { WaitingTimers } from './waiting-timers';

export interface DispatchOptions {
  /** redis://host:port[/db]. Production Redis needs appendonly yes, appendfsync everysec (or always), maxmemory-policy noeviction. */
  redisUrl: string;
  clock: Clock;
  config: DispatchConfig;
  /** Interval of the "please stay on the line" message while a call waits (from the IVR config); 0 = never. */
  ivrReassuranceMs: number;
  ringer: OperatorRinger;
  waiting: WaitingCallerControl;
  /** Awaited at every step; the app writes call records there. @defaultValue noopObserver */
  observer?: DispatchObserver;
  events: DomainEventBus;
  /** This instance's name, in offer tokens and logs. */
  instanceId: string;
  logger: Logger;
  /** Redis key prefix shared by all instances of one installation. @defaultValue siaga112 */
  prefix?: string;
}

/** A call to queue. `queuedAt` defaults to now; keep the original when taking a call up again after a restart. */
export interface NewWaitingCall {
  callId: string;
  category: string;
  /** 1 = most urgent (1 to 2,097,151), from the category. */
  priority: number;
  language: string;
  callerNumber: string;
  queuedAt?: number;
}

export interface DispatchOperators {
  /** Create or update an operator account in the pool (call at start for every configured operator). */
  define(account: OperatorAccount): Promise<void>;
  login(operatorId: string): Promise<OperatorChange>;
  logout(operatorId: string): Promise<OperatorChange>;
  setReady(operatorId: string): Promise<OperatorChange>;
  setNotReady(operatorId: string, reason: string): Promise<OperatorChange>;
  /** Fed by the telephony adapter (AMI ContactStatus, Twilio client presence). */
  setSoftphone(operatorId: string, registered: boolean): Promise<OperatorChange>;
  /** The operator submitted the outcome: wrap-up ends. ConflictError when not in wrap-up. */
  endWrapUp(operatorId: string): Promise<OperatorChange>;
  snapshot(operatorId: string): Promise<OperatorSnapshot>;
  list(): Promise<OperatorSnapshot[]>;
}

export interface Dispatch {
  /** Subscribe to wake-ups, start the lease and wrap-up sweep, dispatch what waits. */
  start(): Promise<void>;
  /** Stop and close connections. `crash: true` walks away from offers in progress (tests: a dying instance). */
  stop(options?: { crash?: boolean }): Promise<void>;
  enqueue(call: NewWaitingCall): Promise<WaitingCall>;
  /**
   * Idempotent enqueue (restart take-up, retries): a call already queued or
   * offered keeps its place (its job is put back if it went missing or was
   * left active by a dead dispatcher, and this instance tracks its waiting
   * timers); a connected call is left alone; otherwise it is enqueued.
   */
  ensureQueued(call: NewWaitingCall): Promise<'queued' | 'kept' | 'connected'>;
  /**
   * Pause or resume this instance's dispatch rounds (an instance that does
   * not hold the PBX cannot ring operators). Queue, pool and sweeps go on.
   */
  setDispatching(on: boolean): Promise<void>;
  /** The caller hung up before an operator answered. 'queue': it was waiting; 'ringing': an offer settles it. */
  abandon(callId: string): Promise<'queue' | 'ringing'>;
  /** A connected call ended: its operator goes to wrap-up. */
  callEnded(callId: string): Promise<void>;
  /** Same, found by operator (the operator hung up). */
  operatorCallEnded(operatorId: string): Promise<void>;
  operators: DispatchOperators;
  /** Waiting calls in the order they will be offered. */
  queueSnapshot(): Promise<WaitingCall[]>;
  /** Resolves when this instance has no dispatch round or offer in progress. */
  idle(): Promise<void>;
  /** What this instance holds in memory per call or operator (all zero when nothing is up): for leak checks. */
  resources(): { offers: number; waitingTimers: number; wrapUpTimers: number };
}

const SWEEP_MS = 1000;

/**
 * Compose the call queue, operator pool and dispatcher of one instance.
 * Several instances on one Redis (same prefix) share queue and pool safely.
 */
export function createDispatch(options: DispatchOptions): Dispatch {
  const { clock, config, logger, events } = options;
  const prefix = options.prefix ?? 'siaga112';
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: false }); // auto-pipelining measured slower here (bench:calls: more CPU, p99 up)
  const sub = redis.duplicate();
  redis.on('error', (err) => logger.warn('redis', { err: errorMessage(err) }));
  sub.on('error', (err) => logger.warn('redis subscriber', { err: errorMessage(err) }));
  const keys = new DispatchKeys(`${prefix}:dispatch`);
  const scripts = defineScripts(redis);
  const pool = new OperatorPool(redis, scripts, keys, clock);
  const queue = new CallQueue(redis, 'calls', `${prefix}:bull`);
  const wakeId = `${options.instanceId}#${randomUUID()}`;

  const ctx: DispatchContext = {
    redis,
    scripts,
    keys,
    pool,
    queue,
    clock,
    config,
    ringer: options.ringer,
    observer: options.observer ?? noopObserver,
    events,
    logger,
    instanceId: options.instanceId,
    wakeAll: () => {
      redis.publish(keys.wakeChannel, wakeId).catch((err) => logger.warn('wake publish failed', { err: errorMessage(err) }));
    },
  };
  const dispatcher = new Dispatcher(ctx);
  const timers = new WaitingTimers(ctx, dispatcher, options.waiting, options.ivrReassuranceMs);
  const wrapTimers = new Map<string, Timer>();
  let sweepTimer: Timer | undefined;
  let started = false;
  let dispatching = true;

  const freed = (c: OperatorChange): void => {
    if (!c.free) return;
    dispatcher.kick();
    ctx.wakeAll();
  };

  async function operatorChange(operatorId: string, action: OperatorAction, arg = '', reason?: string): Promise<OperatorChange> {
    const c = await pool.change(operatorId, action, arg);
    const at = clock.now();
    await dispatcher.reportOperator(c, at, reason);
    if (action === 'softphone' && c.softphoneChanged) {
      const registered = arg === '1';
      await dispatcher.observe(logger, 'onSoftphone', () => ctx.observer.onSoftphone({ at, operatorId, registered }));
      events.publish({ type: 'operator.softphone', at, operatorId, registered });
    }
    freed(c);
    return { operatorId: c.operatorId, from: c.from, to: c.to, free: c.free };
  }

  async function endWrapUp(operatorId: string, by: 'outcome' | 'timeout', expectCallId = ''): Promise<OperatorChange | undefined> {
    checkId('operator', operatorId);
    const r = (await scripts.run('wrap-end', [keys.operator(operatorId), keys.wrapUps, keys.free], [by, clock.now(), TRANSITIONS_JSON, operatorId, expectCallId])) as
      | [string, string, number, string]
      | [string];
    if (r.length === 1) return undefined; // a timer that lost to the outcome or is early
    const c: OperatorChange = { operatorId, from: toState(r[0]), to: toState(r[1]), free: r[2] === 1 };
    const callId = r[3];
    wrapTimers.get(operatorId)?.cancel();
    wrapTimers.delete(operatorId);
    const at = clock.now();
    await dispatcher.reportOperator(c, at, `wrapup_${by}`);
    await dispatcher.observe(callLogger(logger, callId), 'onWrapUpEnded', () => ctx.observer.onWrapUpEnded({ at, operatorId, callId, by }));
    events.publish({ type: 'wrapup.ended', at, operatorId, callId, by });
    freed(c);
    return c;
  }

  async function sweep(): Promise<void> {
    await dispatcher.sweepLeases();
    for (const w of await pool.expiredWrapUps(clock.now())) {
      await endWrapUp(w.operatorId, 'timeout', w.callId).catch((err) => logger.warn('wrap-up timeout failed', { err: errorMessage(err), operatorId: w.operatorId }));
    }
  }

  function scheduleSweep(): void {
    const every = Math.min(SWEEP_MS, (config.offerLeaseSeconds * 1000) / 2);
    sweepTimer = clock.setTimer(every, () => {
      sweep()
        .catch((err) => logger.warn('sweep failed', { err: errorMessage(err) }))
        .finally(() => {
          if (started) scheduleSweep();
        });
    });
  }

  async function callEnded(callId: string): Promise<void> {
    checkId('call', callId);
    const operatorId = (await redis.hget(keys.call(callId), 'op')) ?? '';
    const r = (await scripts.run('call-ended', [keys.call(callId), keys.operator(operatorId), keys.wrapUps, keys.free], [clock.now(), config.wrapUpTimeoutSeconds * 1000, TRANSITIONS_JSON, ENDED_CALL_TTL_MS, callId])) as [
      string,
      string,
      number,
      number,
    ];
    const at = clock.now();
    const wrapUpUntil = r[3];
    await dispatcher.reportOperator({ operatorId, from: toState(r[0]), to: toState(r[1]), free: r[2] === 1 }, at);
    await dispatcher.observe(callLogger(logger, callId), 'onCallEnded', () => ctx.observer.onCallEnded({ at, callId, operatorId, wrapUpUntil }));
    events.publish({ type: 'call.ended', at, callId, reason: 'completed', operatorId });
    wrapTimers.get(operatorId)?.cancel();
    wrapTimers.set(
      operatorId,
      clock.setTimer(wrapUpUntil - at, () => {
        endWrapUp(operatorId, 'timeout', callId).catch((err) => logger.warn('wrap-up timeout failed', { err: errorMessage(err), operatorId }));
      }),
    );
  }

  return {
    async start() {
      if (started) return;
      started = true;
      await sub.subscribe(keys.wakeChannel);
      sub.on('message', (_channel: string, from: string) => {
        if (from !== wakeId) dispatcher.kick();
      });
      // Pub/sub keeps nothing: a wake-up published while the subscriber was
      // away (Redis restarted or dropped it) is lost, and a freed operator
      // would wait unseen. Once subscribed again, look for pairs ourselves.
      sub.on('ready', () => {
        if (!started) return;
        sub.subscribe(keys.wakeChannel).then(
          () => dispatcher.kick(),
          (err: unknown) => logger.warn('wake channel not subscribed again', { err: errorMessage(err) }),
        );
      });
      if (dispatching) dispatcher.start();
      scheduleSweep();
      void sweep().catch((err) => logger.warn('sweep failed', { err: errorMessage(err) }));
    },

    async stop(opts = {}) {
      started = false;
      sweepTimer?.cancel();
      timers.stop();
      for (const t of wrapTimers.values()) t.cancel();
      wrapTimers.clear();
      await dispatcher.stop(opts.crash === true);
      sub.disconnect();
      await queue.close().catch(() => undefined);
      redis.disconnect();
    },

    async ensureQueued(input) {
      const call = validateCall(input, clock.now());
      const [state, jobId] = await redis.hmget(keys.call(call.callId), 'state', 'jobId');
      if (state === 'connected') return 'connected';
      if ((state === 'queued' || state === 'offered') && jobId) {
        const job = await Job.fromId<WaitingCall>(queue.queue, jobId);
        if (!job) {
          // The ledger says it waits but its job is gone: add it again under the same id (same place).
          await queue.add({ ...call, queuedAt: Number(jobId.slice(0, jobId.indexOf('-'))) || call.queuedAt });
        } else if (state === 'queued' && (await job.getState()) === 'active') {
          // Fetched by a dispatcher that died before binding it: nobody would ever put it back.
          await queue.putBack(job).catch((err) => logger.warn('could not put a stranded job back', { callId: call.callId, err: errorMessage(err) }));
        }
        timers.untrack(call.callId);
        timers.track(call);
        dispatcher.kick();
        ctx.wakeAll();
        return 'kept';
      }
      await this.enqueue(call);
      return 'queued';
    },

    async setDispatching(on) {
      dispatching = on;
      if (!started) return;
      if (on) dispatcher.start();
      else await dispatcher.stop();
    },

    async enqueue(input) {
      const call = validateCall(input, clock.now());
      const log = callLogger(logger, call.callId);
      const jobId = CallQueue.jobId(call);
      await scripts.run('call-create', [keys.call(call.callId)], [call.callId, jobId, call.priority, call.category, call.language, call.callerNumber, call.queuedAt, options.instanceId]);
      try {
        await queue.add(call);
      } catch (err) {
        await scripts.run('call-uncreate', [keys.call(call.callId)], [jobId]).catch(() => undefined);
        throw err;
      }
      const at = clock.now();
      await dispatcher.observe(log, 'onQueued', () => ctx.observer.onQueued({ at, call }));
      events.publish({ type: 'call.queued', at, callId: call.callId, category: call.category, priority: call.priority, language: call.language });
      timers.track(call);
      dispatcher.kick();
      ctx.wakeAll();
      return call;
    },

    async abandon(callId) {
      checkId('call', callId);
      const r = (await scripts.run('call-leave', [keys.call(callId)], ['abandoned_in_queue', ENDED_CALL_TTL_MS, callId])) as ['queue' | 'ringing', string, string];
      timers.untrack(callId);
      if (r[0] === 'ringing') return 'ringing';
      await queue.remove(r[1]);
      const at = clock.now();
      await dispatcher.observe(callLogger(logger, callId), 'onAbandoned', () => ctx.observer.onAbandoned({ at, callId, callerNumber: r[2], where: 'queue' }));
      events.publish({ type: 'call.abandoned', at, callId, where: 'queue' });
      return 'queue';
    },

    callEnded,

    async operatorCallEnded(operatorId) {
      checkId('operator', operatorId);
      const [id, callId] = await redis.hmget(keys.operator(operatorId), 'id', 'call');
      if (!id) throw new NotFoundError('operator', operatorId);
      if (!callId) throw new ConflictError(`operator ${operatorId} is not on a call`);
      await callEnded(callId);
    },

    operators: {
      define: (account) => pool.define(account),
      login: (id) => operatorChange(id, 'login'),
      logout: (id) => operatorChange(id, 'logout'),
      setReady: (id) => operatorChange(id, 'ready'),
      setNotReady: (id, reason) => {
        if (typeof reason !== 'string' || reason.length === 0 || reason.length > 64) {
          return Promise.reject(new ValidationError('a not-ready reason of 1 to 64 characters is required', [{ field: 'reason', message: 'expected e.g. break' }]));
        }
        return operatorChange(id, 'not_ready', reason, reason);
      },
      setSoftphone: (id, registered) => operatorChange(id, 'softphone', registered ? '1' : '0'),
      endWrapUp: async (id) => (await endWrapUp(id, 'outcome')) as OperatorChange,
      snapshot: (id) => pool.snapshot(id),
      list: () => pool.list(),
    },

    queueSnapshot: () => queue.waiting(),
    idle: () => dispatcher.idle(),
    resources: () => ({ offers: dispatcher.liveOffers, waitingTimers: timers.size(), wrapUpTimers: wrapTimers.size }),
  };
}

function validateCall(input: NewWaitingCall, now: number): WaitingCall {
  const issues: Array<{ field: string; message: string }> = [];
  const str = (field: keyof NewWaitingCall, max: number): void => {
    const v = input[field];
    if (typeof v !== 'string' || v.length === 0 || v.length > max) issues.push({ field, message: `expected a non-empty string of at most ${max} characters` });
  };
  if (typeof input !== 'object' || input === null) throw new ValidationError('a call is required');
  try {
    checkId('call', input.callId);
  } catch {
    issues.push({ field: 'callId', message: 'expected 1-100 letters, digits, _ . or -' });
  }
  str('category', 64);
  str('language', 16);
  str('callerNumber', 64);
  if (!Number.isInteger(input.priority) || input.priority < 1 || input.priority > MAX_PRIORITY) {
    issues.push({ field: 'priority', message: `expected a whole number from 1 to ${MAX_PRIORITY}` });
  }
  if (input.queuedAt !== undefined && (!Number.isFinite(input.queuedAt) || input.queuedAt < 0)) issues.push({ field: 'queuedAt', message: 'expected epoch milliseconds' });
  if (issues.length > 0) throw new ValidationError('the call cannot be queued', issues);
  return {
    callId: input.callId,
    category: input.category,
    priority: input.priority,
    language: input.language,
    callerNumber: input.callerNumber,
    queuedAt: input.queuedAt ?? now,
    attempts: 0,
  };
}
