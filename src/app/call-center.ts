import type { Clock } from '../core/clock';
import { ConflictError, ForbiddenError, NotFoundError, UnavailableError, errorMessage } from '../core/errors';
import { newId } from '../core/ids';
import { KeyedMutex } from '../core/keyed-mutex';
import { callLogger, type Logger } from '../core/logger';
import { transitionCall, type CallTransitionContext } from '../domain/call/lifecycle';
import type { DomainEventBus } from '../domain/events';
import { IvrSession, type IvrCommand, type IvrEvent } from '../domain/ivr/engine';
import { categoryPriority, type IvrMenu } from '../domain/ivr/menu';
import { validateOutcome, type Agency } from '../domain/outcome/outcome';
import {
  GENERAL_CATEGORY,
  type Actor,
  type CallBackend,
  type CallRecord,
  type CallState,
  type CallbackTask,
  type CategoryId,
  type EndReason,
  type LanguageId,
  type Location,
  type Outcome,
} from '../domain/types';
import type { CallStore, CallUpdate, TimelineEventInput } from '../ports/call-store';
import type { DispatchObserver, DispatchPort } from '../ports/dispatch';

/** What a telephony adapter knows when a call reaches siaga112. */
export interface IncomingCall {
  backend: CallBackend;
  /** ARI channel id or Twilio CallSid: the key that makes intake idempotent. */
  channelId: string;
  callerNumber: string;
  dialedNumber: string;
  trunk?: string;
  pbxUniqueId?: string;
  location?: Location;
}

export interface CallCenterDeps {
  store: CallStore;
  dispatch: DispatchPort;
  clock: Clock;
  logger: Logger;
  menu: IvrMenu;
  events: DomainEventBus;
  agencies: ReadonlyArray<Agency>;
  maskCallerNumbers: boolean;
  /**
   * Rings the taking operator and the caller when a callback task is taken
   * (Asterisk); absent where the operator dials by hand (Twilio).
   */
  dialBack?: (task: CallbackTask, operatorId: string) => Promise<void>;
  /**
   * How long queueing may take before the call is handed to the dialplan's
   * fail-safe instead (Redis unreachable: its client would wait forever).
   * @defaultValue 4000
   */
  queueTimeoutMs?: number;
}

/** What the telephony adapter does with a channel found alive after a restart or a WebSocket gap. */
export type TakeUpAction = 'wait' | 'bridged' | 'failsafe' | 'hangup';

export interface TakeUpResult {
  call: CallRecord;
  action: TakeUpAction;
  /** True when the channel had no record and one was created now. */
  created: boolean;
}

export interface ArrivalResult {
  call: CallRecord;
  /** False when the channel was already known (a repeated StasisStart or webhook). */
  created: boolean;
  /** IVR commands to carry out now (empty when the call was already known). */
  commands: IvrCommand[];
}

const SYSTEM: Actor = { kind: 'system' };
const CALLER: Actor = { kind: 'caller' };

/**
 * The call centre's application service: the one place where the IVR
 * engine, the call lifecycle, the record store and the dispatcher meet.
 * Telephony adapters (Asterisk, Twilio) call it with what happened on the
 * line and carry out the commands it returns; they never touch the store or
 * the queue themselves.
 *
 * Every change to a call runs under that call's lock, and is written to the
 * store (with its timeline event) before the method returns.
 */
export class CallCenter implements DispatchObserver {
  private readonly locks = new KeyedMutex();
  private readonly ivr = new Map<string, IvrSession>();

  constructor(private readonly deps: CallCenterDeps) {}

  // ---------------------------------------------------------------- intake

  /**
   * A call reached the service. Creates the record (once per channel), moves
   * it into the IVR and returns the first IVR commands.
   */
  async callArrived(incoming: IncomingCall): Promise<ArrivalResult> {
    return this.locks.run(`channel:${incoming.channelId}`, async () => {
      const existing = await this.deps.store.findByChannel(incoming.channelId);
      if (existing) return { call: existing, created: false, commands: [] };

      const now = this.deps.clock.now();
      // Recorded straight into the IVR: one commit before the caller is answered.
      const inIvr = await this.recordNewCall(incoming, incoming.backend, now, {}, 'in_ivr');
      const session = new IvrSession(this.deps.menu);
      this.ivr.set(inIvr.id, session);
      const { commands, call } = await this.applyIvr(inIvr, session, { type: 'started' });
      return { call, created: true, commands };
    });
  }

  /** Feed one IVR event (prompt finished, digit, timeout) and get the commands to carry out. */
  async ivrEvent(callId: string, event: IvrEvent): Promise<IvrCommand[]> {
    const staged = await this.ivrEventStaged(callId, event);
    await staged.queued;
    return staged.commands;
  }

  /**
   * As ivrEvent, but the commands come back as soon as the record is written,
   * while the call is still being put in the queue: the caller's prompt can
   * stop (or the next one start) without waiting for Redis. `queued` settles
   * once the queue has the call (at once when the event queued nothing); it
   * rejects with UnavailableError when the queue cannot take it, and the
   * `queue` command must not be carried out before it settles.
   */
  async ivrEventStaged(callId: string, event: IvrEvent): Promise<{ commands: IvrCommand[]; queued: Promise<void> }> {
    let decided!: (commands: IvrCommand[]) => void;
    const early = new Promise<IvrCommand[]>((resolve) => (decided = resolve));
    const done = this.locks.run(callId, async () => {
      const session = this.ivr.get(callId);
      if (!session || session.finished) return [];
      const call = await this.requireCall(callId);
      if (call.state !== 'in_ivr') return [];
      return (await this.applyIvr(call, session, event, decided)).commands;
    });
    const queued = done.then(() => undefined);
    queued.catch(() => undefined); // awaited by whoever carries out `queue`; never unhandled
    return { commands: await Promise.race([early, done]), queued };
  }

  /**
   * Queue a call directly, without the IVR: calls taken up after a restart,
   * calls whose IVR was cut short, calls seen through the fail-safe.
   */
  async queueDirectly(callId: string, category: CategoryId = GENERAL_CATEGORY, reason = 'taken_up'): Promise<CallRecord> {
    return this.locks.run(callId, async () => {
      const call = await this.requireCall(callId);
      this.ivr.delete(callId);
      if (call.state === 'queued' || call.state === 'offered') {
        // Already waiting: make sure the queue has it (idempotent in the dispatcher).
        await this.enqueue(call);
        return call;
      }
      return this.queue(call, category, call.language, reason);
    });
  }

  // --------------------------------------------------------------- take-up

  /**
   * A channel found in the Stasis app after a restart or a WebSocket gap.
   * `bridged`: it talks with another leg in a mixing bridge. Decides what the
   * caller gets: keep waiting with its place (`wait`: queued, or queued now
   * as general when it was mid-IVR or had no record), stay in conversation
   * (`bridged`), the dialplan's fail-safe (queue unreachable, or a record
   * that already ended), or `hangup` (its operator left during the gap).
   * Idempotent: taking up the same channel twice changes nothing more.
   */
  async takeUp(incoming: IncomingCall, seen: { bridged: boolean }): Promise<TakeUpResult> {
    const { call: found, created } = await this.locks.run(`channel:${incoming.channelId}`, async () => {
      const existing = await this.deps.store.findByChannel(incoming.channelId);
      if (existing) return { call: existing, created: false };
      const call = await this.recordNewCall(incoming, incoming.backend, this.deps.clock.now(), { takenUp: true });
      this.log(call).warn('a channel in the app had no record: recorded now and queued as general', { channelId: call.channelId });
      return { call, created: true };
    });
    return this.locks.run(found.id, async () => {
      const call = await this.requireCall(found.id);
      const done = (c: CallRecord, action: TakeUpAction): TakeUpResult => ({ call: c, action, created });
      try {
        switch (call.state) {
          case 'new':
          case 'in_ivr':
            this.ivr.delete(call.id);
            return done(await this.queue(call, GENERAL_CATEGORY, call.language, created ? 'taken_up_unknown' : 'taken_up_mid_ivr'), 'wait');
          case 'queued':
          case 'offered':
            await this.enqueue(call);
            await this.deps.store.appendEvent(call.id, { at: this.deps.clock.now(), type: 'call.taken_up', actor: SYSTEM, data: { state: call.state } });
            return done(call, 'wait');
          case 'connected':
            if (seen.bridged) {
              await this.deps.store.appendEvent(call.id, { at: this.deps.clock.now(), type: 'call.taken_up', actor: SYSTEM, data: { state: call.state } });
              return done(call, 'bridged');
            }
            // The operator's leg ended while nobody listened.
            await this.endConnected(call, this.deps.clock.now(), { kind: 'pbx' }, { reason: 'operator leg gone during the gap' });
            return done(call, 'hangup');
          case 'ended':
            return done(call, 'failsafe');
        }
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
        return done((await this.deps.store.getCall(call.id)) ?? call, 'failsafe');
      }
    });
  }

  /** Calls of one back end not ended yet (take-up compares them with the PBX's channels). */
  async activeCalls(backend: CallBackend): Promise<CallRecord[]> {
    return (await this.deps.store.findActive()).filter((c) => c.backend === backend);
  }

  /**
   * A call in the store whose channel no longer exists (it ended while no
   * instance listened). Ends it with the reason that fits where it was.
   */
  async channelGone(callId: string): Promise<void> {
    const call = await this.deps.store.getCall(callId);
    if (!call || call.state === 'ended') return;
    if (call.state === 'offered') {
      // The ring belonged to a dead instance: mark the caller gone so its lease ends as abandoned.
      await this.deps.dispatch.abandon(callId).catch((err: unknown) => this.log(call).warn('could not mark the caller gone', { error: errorMessage(err) }));
      await this.locks.run(callId, async () => {
        const c = await this.deps.store.getCall(callId);
        if (c && c.state !== 'ended') await this.abandonInQueue(c, this.deps.clock.now(), { reason: 'channel gone while siaga112 was away' });
      });
      return;
    }
    await this.callerHungUp(callId, { reason: 'channel gone while siaga112 was away' });
  }

  /**
   * The call could not be queued (Redis unreachable): the adapter hands the
   * caller to the dialplan's fail-safe, where operators answer directly.
   */
  async handedToFailsafe(callId: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.deps.store.getCall(callId);
      if (!call || call.state === 'ended') return;
      this.ivr.delete(callId);
      const at = this.deps.clock.now();
      if (call.state === 'in_ivr') {
        const queued = await this.transition(call, 'queued', { at, actor: SYSTEM, category: GENERAL_CATEGORY, priority: categoryPriority(this.deps.menu, GENERAL_CATEGORY), data: { reason: 'failsafe' } });
        await this.transition(queued, 'ended', { at, actor: SYSTEM, endReason: 'transferred', data: { ...data, failsafe: true } });
        return;
      }
      await this.transition(call, 'ended', { at, actor: SYSTEM, endReason: call.state === 'connected' ? 'failed' : 'transferred', data: { ...data, failsafe: true } });
    });
  }

  // ------------------------------------------------------------- hang-ups

  /**
   * The caller hung up. Ends the call with the reason that fits where it was;
   * a caller who was waiting leaves the queue and gets a callback task.
   */
  async callerHungUp(callId: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.deps.store.getCall(callId);
      if (!call || call.state === 'ended') return;
      const now = this.deps.clock.now();
      this.ivr.get(callId)?.handle({ type: 'caller_hung_up' });
      this.ivr.delete(callId);
      switch (call.state) {
        case 'new':
        case 'in_ivr':
          await this.transition(call, 'ended', { at: now, actor: CALLER, endReason: 'abandoned_in_ivr', data });
          this.deps.events.publish({ type: 'call.abandoned', at: now, callId, where: 'ivr' });
          return;
        case 'queued': {
          const result = await this.deps.dispatch.abandon(callId);
          if (result === 'offered') {
            // An operator's phone is ringing for this call right now: the ring
            // settles as caller_gone and onAbandoned ends the record.
            await this.deps.store.appendEvent(callId, { at: now, type: 'caller.hangup', actor: CALLER, data: { ...data, while: 'ringing' } });
            return;
          }
          await this.abandonInQueue(call, now, data);
          return;
        }
        case 'offered':
          await this.deps.store.appendEvent(callId, { at: now, type: 'caller.hangup', actor: CALLER, data: { ...data, while: 'ringing' } });
          return;
        case 'connected':
          await this.endConnected(call, now, CALLER, data);
          return;
      }
    });
  }

  /** The operator's leg of a connected call ended (the operator hung up). */
  async operatorHungUp(callId: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.deps.store.getCall(callId);
      if (!call || call.state !== 'connected') return;
      await this.endConnected(call, this.deps.clock.now(), { kind: 'operator', id: call.operatorId ?? 'unknown' }, data);
    });
  }

  /** The call failed on our side or in the network, wherever it was. */
  async callFailed(callId: string, data: Record<string, unknown>): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.deps.store.getCall(callId);
      if (!call || call.state === 'ended') return;
      this.ivr.delete(callId);
      if (call.state === 'queued') await this.deps.dispatch.abandon(callId);
      await this.transition(call, 'ended', { at: this.deps.clock.now(), actor: SYSTEM, endReason: 'failed', data });
      if (call.operatorId && call.state === 'connected') await this.deps.dispatch.operatorCallEnded(call.operatorId, callId);
    });
  }

  /**
   * Append a fact to a call's timeline without changing its state. Takes no
   * lock (the store numbers appends atomically), so it is safe to call from
   * inside another step of the same call.
   */
  /**
   * Where the caller is, learnt after the record was made (the PBX is asked
   * for the SIP headers while the caller is answered). Kept if the call has
   * no location yet; a location already recorded is not overwritten.
   */
  async locationFound(callId: string, location: Location): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.requireCall(callId);
      if (call.location) return;
      await this.patch(call, { location }, 'call.location', { location }, { kind: 'pbx' });
    });
  }

  async note(callId: string, type: string, data: Record<string, unknown>, actor: Actor = SYSTEM): Promise<void> {
    await this.deps.store.appendEvent(callId, { at: this.deps.clock.now(), type, actor, data });
  }

  // --------------------------------------------------------------- fail-safe

  /**
   * A call that took the dialplan's fail-safe path (siaga112 was not in
   * Stasis), seen through AMI. Creates its record once per channel with
   * backend `failsafe`; the dispatcher is not involved (Asterisk's Queue()
   * rings the operators).
   */
  async failsafeCall(incoming: Omit<IncomingCall, 'backend'>): Promise<CallRecord> {
    return this.locks.run(`channel:${incoming.channelId}`, async () => {
      const existing = await this.deps.store.findByChannel(incoming.channelId);
      if (existing) return existing;
      const call = await this.recordNewCall(incoming, 'failsafe', this.deps.clock.now(), { failsafe: true });
      this.log(call).warn('call took the fail-safe path (siaga112 was not in Stasis)', { dialed: call.dialedNumber, channelId: call.channelId });
      return call;
    });
  }

  /**
   * A step of a fail-safe call as AMI reports it: joined Asterisk's queue,
   * answered by an operator (AgentConnect), abandoned in the queue, or hung up.
   */
  async failsafeStep(callId: string, step: 'queued' | 'answered' | 'abandoned' | 'ended', data: Record<string, unknown> & { operatorId?: string } = {}): Promise<void> {
    await this.locks.run(callId, async () => {
      let call = await this.deps.store.getCall(callId);
      if (!call || call.state === 'ended' || call.backend !== 'failsafe') return;
      const at = this.deps.clock.now();
      const general = { category: GENERAL_CATEGORY, priority: categoryPriority(this.deps.menu, GENERAL_CATEGORY) };
      switch (step) {
        case 'queued':
          if (call.state === 'new') await this.transition(call, 'queued', { at, actor: { kind: 'pbx' }, ...general, data: { ...data, failsafe: true } });
          return;
        case 'answered': {
          const operatorId = data.operatorId ?? 'unknown';
          if (call.state === 'new') call = await this.transition(call, 'queued', { at, actor: { kind: 'pbx' }, ...general, data: { failsafe: true } });
          if (call.state === 'queued') call = await this.transition(call, 'offered', { at, actor: { kind: 'pbx' }, operatorId });
          if (call.state === 'offered') await this.transition(call, 'connected', { at, actor: { kind: 'operator', id: operatorId }, operatorId, data });
          return;
        }
        case 'abandoned':
          if (call.state === 'queued' || call.state === 'offered') await this.abandonInQueue(call, at, { ...data, failsafe: true });
          return;
        case 'ended':
          if (call.state === 'connected') await this.transition(call, 'ended', { at, actor: { kind: 'pbx' }, endReason: 'completed', data });
          else if (call.state === 'queued' || call.state === 'offered') await this.abandonInQueue(call, at, { ...data, failsafe: true });
          else await this.transition(call, 'ended', { at, actor: { kind: 'pbx' }, endReason: 'failed', data: { ...data, failsafe: true, reason: 'ended before reaching an operator' } });
          return;
      }
    });
  }

  // ----------------------------------------------------- dispatch observer

  async onOffered(callId: string, operatorId: string): Promise<void> {
    await this.locks.run(callId, async () => {
      let call = await this.requireCall(callId);
      if (call.state === 'offered') {
        // The previous offer's end was never recorded (its instance died): back in the queue first.
        call = await this.transition(call, 'queued', { at: this.deps.clock.now(), actor: SYSTEM, data: { missedBy: call.operatorId, result: 'lease_expired' } });
      }
      if (call.state === 'ended') {
        // The caller hung up as the dispatcher took the call: the queue knows they are gone, and the offer settles as abandoned.
        this.log(call).info('offer of a call that has just ended; it settles as abandoned', { operatorId, endReason: call.endReason });
        return;
      }
      if (call.state !== 'queued') throw new ConflictError(`call ${callId} is ${call.state}, not waiting: it cannot be offered`, { callId, state: call.state });
      await this.transition(call, 'offered', { at: this.deps.clock.now(), actor: SYSTEM, operatorId });
    });
  }

  async onAnswered(callId: string, operatorId: string): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.requireCall(callId);
      if (call.state === 'connected' && call.operatorId === operatorId) return;
      await this.transition(call, 'connected', { at: this.deps.clock.now(), actor: { kind: 'operator', id: operatorId }, operatorId });
    });
  }

  async onMissed(callId: string, operatorId: string, result: string): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.requireCall(callId);
      if (call.state !== 'offered') return;
      await this.transition(call, 'queued', { at: this.deps.clock.now(), actor: SYSTEM, data: { missedBy: operatorId, result } });
    });
  }

  /** The dispatcher took an offer back because the instance that rang died. */
  async onRequeued(callId: string): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.deps.store.getCall(callId);
      if (!call || call.state !== 'offered') return;
      await this.transition(call, 'queued', { at: this.deps.clock.now(), actor: SYSTEM, data: { missedBy: call.operatorId, result: 'lease_expired' } });
    });
  }

  async onAbandoned(callId: string, where: 'queue' | 'ringing'): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.deps.store.getCall(callId);
      if (!call || call.state === 'ended') return;
      await this.abandonInQueue(call, this.deps.clock.now(), { while: where === 'ringing' ? 'ringing' : 'waiting' });
    });
  }

  async onReassured(callId: string): Promise<void> {
    await this.note(callId, 'call.reassured', {});
  }

  async onOverflow(callId: string, action: 'keep_waiting' | 'transfer', target?: string): Promise<void> {
    await this.locks.run(callId, async () => {
      const call = await this.deps.store.getCall(callId);
      if (!call || call.state === 'ended') return;
      const at = this.deps.clock.now();
      if (action === 'transfer' && (call.state === 'queued' || call.state === 'offered')) {
        await this.transition(call, 'ended', { at, actor: SYSTEM, endReason: 'transferred', data: { overflow: true, target } });
        return;
      }
      await this.deps.store.appendEvent(callId, { at, type: 'call.overflow', actor: SYSTEM, data: { action, ...(target ? { target } : {}) } });
    });
  }

  async onWrapUpEnded(operatorId: string, callId: string, by: 'outcome' | 'timeout'): Promise<void> {
    const call = await this.deps.store.getCall(callId);
    if (!call) return;
    await this.note(callId, 'wrapup.ended', { operatorId, by }, { kind: 'operator', id: operatorId });
  }

  // ------------------------------------------------------ outcomes, callbacks

  /**
   * An operator records what the call was. Only the operator who took the
   * call (or the callback for it) may; only once; the input is validated
   * before anything is written.
   */
  async submitOutcome(operatorId: string, callId: string, input: unknown): Promise<Outcome> {
    return this.locks.run(callId, async () => {
      const call = await this.deps.store.getCall(callId);
      if (!call) throw new NotFoundError('call', callId);
      const tookCall = call.operatorId === operatorId && (call.state === 'connected' || call.state === 'ended');
      const tookCallback = !tookCall && (await this.callbackTakenBy(callId)) === operatorId;
      if (!tookCall && !tookCallback) throw new ForbiddenError(`operator ${operatorId} did not take call ${callId}`);
      if (await this.deps.store.getOutcome(callId)) throw new ConflictError(`call ${callId} already has an outcome`, { callId }, 'outcome_exists');
      const outcome = validateOutcome(input, {
        categories: Object.keys(this.deps.menu.categories),
        agencies: this.deps.agencies,
        now: this.deps.clock.now(),
        callId,
        operatorId,
      });
      await this.deps.store.saveOutcome(outcome);
      await this.deps.store.appendEvent(callId, {
        at: outcome.submittedAt,
        type: 'outcome.submitted',
        actor: { kind: 'operator', id: operatorId },
        data: { classification: outcome.classification, confirmedCategory: outcome.confirmedCategory, agencies: outcome.agencies, viaCallback: tookCallback },
      });
      if (tookCallback) {
        const task = (await this.deps.store.listCallbacks('taken')).find((t) => t.callId === callId);
        if (task) await this.deps.store.completeCallback(task.id, operatorId);
      } else {
        await this.deps.dispatch.endWrapUp(operatorId).catch((err: unknown) => {
          // Wrap-up may already have ended by its timeout: the outcome still counts.
          this.log(call).info('wrap-up was not active when the outcome arrived', { operatorId, reason: errorMessage(err) });
        });
      }
      return outcome;
    });
  }

  /** Atomically give an open callback task to one operator. */
  async takeCallback(taskId: string, operatorId: string): Promise<CallbackTask> {
    const now = this.deps.clock.now();
    const task = await this.deps.store.takeCallback(taskId, operatorId, now);
    await this.note(task.callId, 'callback.taken', { taskId, operatorId }, { kind: 'operator', id: operatorId });
    this.deps.events.publish({ type: 'callback.taken', at: now, taskId, callId: task.callId, operatorId });
    if (this.deps.dialBack) {
      // The PBX call runs on its own; its steps land on the call's timeline.
      this.deps.dialBack(task, operatorId).catch((err: unknown) =>
        this.deps.logger.warn('callback could not be dialled', { callId: task.callId, taskId, operatorId, error: errorMessage(err) }),
      );
    }
    return task;
  }

  listCallbacks(status: CallbackTask['status'] = 'open'): Promise<CallbackTask[]> {
    return this.deps.store.listCallbacks(status);
  }

  // ------------------------------------------------------------- internals

  /**
   * Create the record of a call that reached siaga112, with its `call.created`
   * event; with `into`, already moved on to that state (its transition event
   * written in the same transaction).
   */
  private async recordNewCall(
    incoming: Omit<IncomingCall, 'backend'>,
    backend: CallBackend,
    now: number,
    facts: Record<string, unknown>,
    into?: 'in_ivr',
  ): Promise<CallRecord> {
    const call: CallRecord = {
      id: newId('call'),
      backend,
      callerNumber: incoming.callerNumber,
      dialedNumber: incoming.dialedNumber,
      channelId: incoming.channelId,
      state: 'new',
      language: this.deps.menu.defaultLanguage,
      createdAt: now,
      updatedAt: now,
      ...(incoming.trunk ? { trunk: incoming.trunk } : {}),
      ...(incoming.pbxUniqueId ? { pbxUniqueId: incoming.pbxUniqueId } : {}),
      ...(incoming.location ? { location: incoming.location } : {}),
    };
    const created: TimelineEventInput = {
      at: now,
      type: 'call.created',
      actor: { kind: 'pbx' },
      data: {
        backend,
        dialedNumber: call.dialedNumber,
        channelId: call.channelId,
        ...(call.trunk ? { trunk: call.trunk } : {}),
        ...(call.location ? { location: call.location } : {}),
        ...facts,
      },
    };
    if (!into) {
      await this.deps.store.createCall(call, created);
      return call;
    }
    const ctx: CallTransitionContext = { at: now, actor: SYSTEM };
    const { patch, event } = transitionCall(call, into, ctx);
    const next = { ...call, ...patch };
    await this.deps.store.createCall(next, created, [event]);
    this.log(call).info('call arrived', { dialed: call.dialedNumber, backend: call.backend, channelId: call.channelId });
    this.announce(call, next, into, ctx);
    return next;
  }

  /**
   * `decided`: told the commands once every record is written, before the call goes into the queue.
   * Resolves the commands and the call as written (no read back).
   */
  private async applyIvr(
    call: CallRecord,
    session: IvrSession,
    event: IvrEvent,
    decided?: (commands: IvrCommand[]) => void,
  ): Promise<{ commands: IvrCommand[]; call: CallRecord }> {
    const at = this.deps.clock.now();
    // The caller's input is written with the change it causes (one commit on the call's path), or alone.
    let input: TimelineEventInput[] = [];
    if (event.type === 'digit') input = [{ at, type: 'ivr.digit', actor: CALLER, data: { digit: event.digit } }];
    if (event.type === 'input_timeout') input = [{ at, type: 'ivr.no_input', actor: CALLER, data: {} }];
    const commands = session.handle(event);
    let current = call;
    for (const command of commands) {
      if (command.type === 'set_language') {
        current = (await this.patch(current, { language: command.language }, 'ivr.language', { language: command.language }, CALLER, input)) ?? current;
        input = [];
      } else if (command.type === 'queue') {
        this.ivr.delete(call.id);
        current = await this.queue(current, command.category, command.language, command.reason, input, () => decided?.(commands));
        input = [];
      }
    }
    for (const e of input) await this.deps.store.appendEvent(call.id, e);
    return { commands, call: current };
  }

  private async queue(
    call: CallRecord,
    category: CategoryId,
    language: LanguageId,
    reason: string,
    before: TimelineEventInput[] = [],
    recorded?: () => void,
  ): Promise<CallRecord> {
    const priority = categoryPriority(this.deps.menu, category);
    const queued = await this.transition(
      call,
      'queued',
      {
        at: this.deps.clock.now(),
        actor: SYSTEM,
        category,
        priority,
        data: { reason, language },
      },
      before,
    );
    recorded?.();
    await this.enqueue(queued);
    return queued;
  }

  private async enqueue(call: CallRecord): Promise<void> {
    try {
      const work = this.deps.dispatch.enqueue({
        callId: call.id,
        category: call.category ?? GENERAL_CATEGORY,
        priority: call.priority ?? categoryPriority(this.deps.menu, GENERAL_CATEGORY),
        language: call.language,
        callerNumber: call.callerNumber,
        queuedAt: call.queuedAt ?? this.deps.clock.now(),
      });
      await this.withinQueueTimeout(call, work);
    } catch (err) {
      await this.deps.store.appendEvent(call.id, { at: this.deps.clock.now(), type: 'queue.unavailable', actor: SYSTEM, data: { error: errorMessage(err) } });
      throw new UnavailableError('queue', `call ${call.id} could not be queued: ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * The Redis client queues commands while Redis is down and would never
   * answer: give up after queueTimeoutMs. When the late enqueue lands after
   * all, it is taken back out (the caller went to the fail-safe meanwhile).
   */
  private withinQueueTimeout(call: CallRecord, work: Promise<void>): Promise<void> {
    const ms = this.deps.queueTimeoutMs ?? 4000;
    return new Promise<void>((resolve, reject) => {
      let late = false;
      const timer = this.deps.clock.setTimer(ms, () => {
        late = true;
        reject(new Error(`the queue did not answer within ${ms} ms`));
      });
      work.then(
        () => {
          timer.cancel();
          if (!late) return resolve();
          this.deps.dispatch.abandon(call.id).catch(() => undefined);
        },
        (err: unknown) => {
          timer.cancel();
          if (!late) reject(err);
        },
      );
    });
  }

  /** The caller's end and their callback task: one write, so a crash cannot keep one without the other. */
  private async abandonInQueue(call: CallRecord, at: number, data: Record<string, unknown>): Promise<void> {
    const task: CallbackTask = { id: newId('cb'), callId: call.id, callerNumber: call.callerNumber, createdAt: at, status: 'open' };
    await this.transition(call, 'ended', { at, actor: CALLER, endReason: 'abandoned_in_queue', data }, [], {
      after: [{ at, type: 'callback.created', actor: SYSTEM, data: { taskId: task.id } }],
      callback: task,
    });
    this.deps.events.publish({ type: 'call.abandoned', at, callId: call.id, where: 'queue' });
    this.deps.events.publish({ type: 'callback.created', at, taskId: task.id, callId: call.id });
  }

  private async endConnected(call: CallRecord, at: number, actor: Actor, data: Record<string, unknown>): Promise<void> {
    await this.transition(call, 'ended', { at, actor, endReason: 'completed', data });
    if (call.operatorId) await this.deps.dispatch.operatorCallEnded(call.operatorId, call.id);
  }

  private async callbackTakenBy(callId: string): Promise<string | undefined> {
    const taken = await this.deps.store.listCallbacks('taken');
    return taken.find((t) => t.callId === callId)?.takenBy;
  }

  /** What this instance holds in memory per call (all zero when no call is up): for leak checks. */
  resources(): { ivrSessions: number; locks: number } {
    return { ivrSessions: this.ivr.size, locks: this.locks.size };
  }

  /**
   * Move the call on (compare-and-set on its state); `before`: the events
   * that led here, `also`: what follows from it, all in the same write.
   */
  private async transition(
    call: CallRecord,
    to: CallState,
    ctx: CallTransitionContext,
    before: TimelineEventInput[] = [],
    also: Pick<CallUpdate, 'after' | 'callback'> = {},
  ): Promise<CallRecord> {
    const { patch, event } = transitionCall(call, to, ctx);
    await this.deps.store.updateCall(call.id, { patch, event, expectState: call.state, ...(before.length ? { before } : {}), ...also });
    const next = { ...call, ...patch };
    this.announce(call, next, to, ctx);
    return next;
  }

  /** Log and publish a transition that has been written. */
  private announce(from: CallRecord, next: CallRecord, to: CallState, ctx: CallTransitionContext): void {
    this.log(next).info(`call ${to}`, { from: from.state, ...(ctx.endReason ? { reason: ctx.endReason } : {}), ...(next.category ? { category: next.category } : {}) });
    this.publishTransition(next, to, ctx.at, ctx.endReason);
  }

  private async patch(call: CallRecord, patch: Partial<CallRecord>, type: string, data: Record<string, unknown>, actor: Actor, before: TimelineEventInput[] = []): Promise<CallRecord | undefined> {
    const at = this.deps.clock.now();
    await this.deps.store.updateCall(call.id, { patch: { ...patch, updatedAt: at }, event: { at, type, actor, data }, ...(before.length ? { before } : {}) });
    return { ...call, ...patch };
  }

  private publishTransition(call: CallRecord, to: CallState, at: number, reason?: EndReason): void {
    const events = this.deps.events;
    if (to === 'queued') events.publish({ type: 'call.queued', at, callId: call.id, category: call.category ?? GENERAL_CATEGORY, priority: call.priority ?? 0, language: call.language });
    if (to === 'offered' && call.operatorId) events.publish({ type: 'call.offered', at, callId: call.id, operatorId: call.operatorId });
    if (to === 'connected' && call.operatorId) events.publish({ type: 'call.answered', at, callId: call.id, operatorId: call.operatorId });
    if (to === 'ended' && reason) events.publish({ type: 'call.ended', at, callId: call.id, reason, ...(call.operatorId ? { operatorId: call.operatorId } : {}) });
  }

  private async requireCall(callId: string): Promise<CallRecord> {
    const call = await this.deps.store.getCall(callId);
    if (!call) throw new NotFoundError('call', callId);
    return call;
  }

  private log(call: Pick<CallRecord, 'id' | 'callerNumber'>): Logger {
    return callLogger(this.deps.logger, call.id, { number: call.callerNumber, mask: this.deps.maskCallerNumbers });
  }
}
