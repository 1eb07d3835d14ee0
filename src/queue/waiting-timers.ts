import type { Timer } from '../core/clock';
import { errorMessage } from '../core/errors';
import { callLogger } from '../core/logger';
import type { WaitingCallerControl } from '../ports/telephony';
import type { WaitingCall } from './call-queue';
import { ENDED_CALL_TTL_MS, type DispatchContext, type Dispatcher } from './dispatcher';

interface Watched {
  call: WaitingCall;
  reassure?: Timer;
  overflow?: Timer;
}

/**
 * Long waits, for the calls this instance queued (it holds their channels):
 * a reassurance message every `reassuranceMs` while the call waits, and the
 * overflow once no operator has been logged in for overflow.noOperatorSeconds.
 * Each timer asks Redis whether the call still waits before acting.
 */
export class WaitingTimers {
  private readonly watched = new Map<string, Watched>();
  private stopped = false;

  constructor(
    private readonly ctx: DispatchContext,
    private readonly dispatcher: Dispatcher,
    private readonly waiting: WaitingCallerControl,
    private readonly reassuranceMs: number,
  ) {}

  track(call: WaitingCall): void {
    if (this.stopped) return;
    const w: Watched = { call };
    this.watched.set(call.callId, w);
    this.scheduleReassure(w);
    void this.checkOverflow(w);
  }

  untrack(callId: string): void {
    const w = this.watched.get(callId);
    w?.reassure?.cancel();
    w?.overflow?.cancel();
    this.watched.delete(callId);
  }

  stop(): void {
    this.stopped = true;
    for (const id of [...this.watched.keys()]) this.untrack(id);
  }

  size(): number {
    return this.watched.size;
  }

  private async state(callId: string): Promise<string | null> {
    return this.ctx.redis.hget(this.ctx.keys.call(callId), 'state');
  }

  private scheduleReassure(w: Watched): void {
    if (this.reassuranceMs <= 0) return;
    w.reassure = this.ctx.clock.setTimer(this.reassuranceMs, () => {
      void this.reassure(w);
    });
  }

  private async reassure(w: Watched): Promise<void> {
    const callId = w.call.callId;
    const log = callLogger(this.ctx.logger, callId);
    try {
      const state = await this.state(callId);
      if (state === 'queued') {
        await this.waiting.reassure(callId);
        const at = this.ctx.clock.now();
        await this.dispatcher.observe(log, 'onReassured', () => this.ctx.observer.onReassured({ at, callId }));
        this.ctx.events.publish({ type: 'call.reassured', at, callId });
      } else if (state !== 'offered') {
        this.untrack(callId); // connected or ended
        return;
      }
    } catch (err) {
      log.warn('reassurance failed', { err: errorMessage(err) });
    }
    if (this.watched.get(callId) === w) this.scheduleReassure(w);
  }

  private async checkOverflow(w: Watched): Promise<void> {
    const { clock, config, pool } = this.ctx;
    const callId = w.call.callId;
    const limitMs = config.overflow.noOperatorSeconds * 1000;
    const log = callLogger(this.ctx.logger, callId);
    let nextInMs = limitMs;
    try {
      const state = await this.state(callId);
      if (state !== 'queued' && state !== 'offered') {
        this.untrack(callId);
        return;
      }
      const since = await pool.noOperatorSince();
      if (since !== undefined) {
        const due = since + limitMs - clock.now();
        if (due <= 0 && state === 'queued') {
          await this.applyOverflow(w);
          return;
        }
        nextInMs = Math.max(due, 1);
      }
    } catch (err) {
      log.warn('overflow check failed', { err: errorMessage(err) });
    }
    if (this.watched.get(callId) === w) w.overflow = clock.setTimer(nextInMs, () => void this.checkOverflow(w));
  }

  private async applyOverflow(w: Watched): Promise<void> {
    const { config, clock, observer, events, scripts, keys, queue } = this.ctx;
    const callId = w.call.callId;
    const log = callLogger(this.ctx.logger, callId);
    const at = clock.now();
    if (config.overflow.action === 'keep_waiting' || !config.overflow.transferTarget) {
      // Once per call: it keeps waiting, with reassurance, for the first operator to log in.
      await this.dispatcher.observe(log, 'onOverflow', () => observer.onOverflow({ at, callId, action: 'keep_waiting' }));
      events.publish({ type: 'call.overflow', at, callId, action: 'keep_waiting' });
      return;
    }
    const target = config.overflow.transferTarget;
    // Out of the queue first, so no offer can race the transfer.
    const r = (await scripts.run('call-leave', [keys.call(callId)], ['transferred', ENDED_CALL_TTL_MS, callId])) as [string, string];
    await queue.remove(r[1]);
    this.untrack(callId);
    try {
      await this.waiting.transfer(callId, target);
    } catch (err) {
      // Never drop a caller: a failed transfer puts the call back where it was.
      log.error('overflow transfer failed; call queued again', { err: errorMessage(err) });
      await scripts.run('call-create', [keys.call(callId)], [callId, r[1], w.call.priority, w.call.category, w.call.language, w.call.callerNumber, w.call.queuedAt, this.ctx.instanceId]);
      await queue.add(w.call);
      this.track(w.call);
      this.dispatcher.kick();
      this.ctx.wakeAll();
      return;
    }
    await this.dispatcher.observe(log, 'onOverflow', () => observer.onOverflow({ at, callId, action: 'transfer', target }));
    events.publish({ type: 'call.overflow', at, callId, action: 'transfer', target });
    events.publish({ type: 'call.ended', at, callId, reason: 'transferred' });
  }
}
