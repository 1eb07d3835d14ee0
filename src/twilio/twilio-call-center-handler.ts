import type { Redis } from 'ioredis';
import type { CallCenter } from '../app/call-center';
import { callLogger, type Logger } from '../core/logger';
import type { IvrCommand, IvrEvent } from '../domain/ivr/engine';
import { optionForDigit, promptFor, reassurancePrompt, type IvrMenu, type PlayablePrompt } from '../domain/ivr/menu';
import { GENERAL_CATEGORY, type CallRecord, type CategoryId, type Location } from '../domain/types';
import type {
  CallInstruction,
  DialInstruction,
  DialResultEvent,
  DigitEvent,
  IncomingCall,
  NoInputEvent,
  OperatorLegEvent,
  StatusEvent,
  TwilioCallHandler,
  TwilioCallParams,
  WaitEvent,
} from './call-handler';
import type { TwilioPrompt } from './twiml';

/** What the Twilio adapter asks of the application service. */
export type TwilioCallCenter = Pick<CallCenter, 'callArrived' | 'ivrEvent' | 'queueDirectly' | 'callerHungUp' | 'operatorHungUp' | 'note'>;

/** Finds the call record of a Twilio CallSid (stored as the call's channelId). */
export type CallBySid = (callSid: string) => Promise<CallRecord | undefined>;

export interface TwilioCallCenterHandlerDeps {
  /** A getter, so the handler can exist before the call centre (the dispatcher needs the ringer first). */
  callCenter: () => TwilioCallCenter;
  findCall: CallBySid;
  menu: IvrMenu;
  /** Per-call counters (IVR step ids, transfer retries), shared by every instance. */
  redis: Redis;
  logger: Logger;
  maskCallerNumbers: boolean;
  /** dispatch.overflow.transferTarget: dialled again when a transfer to it did not connect. */
  transferTarget?: string;
  /** @defaultValue siaga112:twilio: */
  prefix?: string;
}

/** The caller's own call is over (status callback or Dial action CallStatus). */
const CALLER_ENDED = new Set(['completed', 'canceled', 'busy', 'failed', 'no-answer']);
const COUNTER_TTL_SECONDS = 6 * 3600;
/** Prompts the engine may chain before it collects a key or queues; more means a broken menu. */
const MAX_IVR_ROUNDS = 16;
/** How often a transfer to the backup number is tried again before the caller is left on hold. */
const MAX_TRANSFER_RETRIES = 3;

function twilioPrompt(prompt: PlayablePrompt): TwilioPrompt {
  return {
    text: prompt.text,
    sayLanguage: prompt.sayLanguage,
    ...(prompt.voice ? { voice: prompt.voice } : {}),
    ...(prompt.audioUrl ? { audioUrl: prompt.audioUrl } : {}),
  };
}

/**
 * Twilio's geo fields describe where the calling number is registered, not
 * where the caller is; kept as text, marked by its source, for the operator.
 */
export function locationFromTwilio(call: Pick<IncomingCall, 'fromCity' | 'fromState' | 'fromCountry'>): Location | undefined {
  const parts = [call.fromCity, call.fromState, call.fromCountry].map((p) => p?.trim()).filter((p): p is string => !!p);
  if (parts.length === 0) return undefined;
  return { text: parts.join(', ').slice(0, 200), source: 'twilio-number-area' };
}

/**
 * The TwilioCallHandler on top of CallCenter: the same IVR engine, records
 * and queue as the Asterisk path. Twilio runs whole TwiML documents, so each
 * `play` the engine commands is answered with `prompt_finished` at once and
 * its prompt added to the document; `collect_digit` closes it as one
 * <Gather numDigits=1> with a fresh step id (menu-1, menu-2, ... per call),
 * which keeps a replayed webhook of one step apart from the next step's.
 * `queue` (CallCenter has already put the call in the BullMQ queue) becomes
 * the <Enqueue> wait, where siaga112's dispatcher, not Twilio, picks who is
 * connected next.
 */
export class TwilioCallCenterHandler implements TwilioCallHandler {
  private readonly prefix: string;

  constructor(private readonly deps: TwilioCallCenterHandlerDeps) {
    this.prefix = deps.prefix ?? 'siaga112:twilio:';
  }

  private get center(): TwilioCallCenter {
    return this.deps.callCenter();
  }

  async onIncoming(call: IncomingCall): Promise<CallInstruction> {
    const location = locationFromTwilio(call);
    const arrival = await this.center.callArrived({
      backend: 'twilio',
      channelId: call.callSid,
      callerNumber: call.from,
      dialedNumber: call.to,
      ...(location ? { location } : {}),
    });
    if (arrival.created) return this.drive(arrival.call, arrival.commands);
    // The voice webhook again (a retry after a failure): carry on where the call is.
    return this.resume(arrival.call);
  }

  async onDigit(event: DigitEvent): Promise<CallInstruction> {
    return this.ivrStep(event, { type: 'digit', digit: event.digits });
  }

  async onNoInput(event: NoInputEvent): Promise<CallInstruction> {
    return this.ivrStep(event, { type: 'input_timeout' });
  }

  async onWait(event: WaitEvent): Promise<{ reassurance?: TwilioPrompt[] }> {
    // The dispatcher's waiting timers mark the call every reassuranceIntervalSeconds (WaitingCallerControl.reassure).
    if (!event.reassureRequested) return {};
    const call = await this.deps.findCall(event.callSid);
    return { reassurance: [twilioPrompt(reassurancePrompt(this.deps.menu, call?.language ?? this.deps.menu.defaultLanguage))] };
  }

  async onDialResult(event: DialResultEvent): Promise<DialInstruction> {
    const call = await this.deps.findCall(event.callSid);
    if (!call) {
      this.deps.logger.warn('dial result for an unknown Twilio call', { callSid: event.callSid, dialCallStatus: event.dialCallStatus });
      return { kind: 'end' };
    }
    const connected = event.dialCallStatus === 'completed' || event.dialCallStatus === 'answered';
    const callerGone = CALLER_ENDED.has(event.callStatus);
    await this.center.note(call.id, event.purpose === 'transfer' ? 'twilio.transfer_result' : 'twilio.dial_result', {
      dialCallStatus: event.dialCallStatus,
      callStatus: event.callStatus,
      ...(event.dialCallSid ? { dialCallSid: event.dialCallSid } : {}),
      ...(event.dialCallDurationSeconds !== undefined ? { durationSeconds: event.dialCallDurationSeconds } : {}),
    });

    if (event.purpose === 'transfer') {
      if (connected || callerGone) return { kind: 'end' };
      if (call.state !== 'ended') return this.resume(call);
      // The overflow transfer ended the record: never leave the caller with nobody, try the backup again.
      const tries = await this.count(`transfer:${event.callSid}`);
      if (this.deps.transferTarget && tries <= MAX_TRANSFER_RETRIES) return { kind: 'transfer', target: this.deps.transferTarget };
      this.log(call).error('transfer to the backup number failed repeatedly; caller left on hold', { dialCallStatus: event.dialCallStatus });
      return { kind: 'wait' };
    }

    if (connected) {
      // The conversation is over: whoever left, the Dial ended.
      if (callerGone) await this.center.callerHungUp(call.id, { via: 'dial_action' });
      else await this.center.operatorHungUp(call.id, { via: 'dial_action' });
      return { kind: 'end' };
    }
    if (callerGone) {
      await this.center.callerHungUp(call.id, { via: 'dial_action', callStatus: event.callStatus });
      return { kind: 'end' };
    }
    // Not answered: the ringer has told the dispatcher, which puts the call back with its place.
    return { kind: 'wait' };
  }

  async onStatus(event: StatusEvent): Promise<void> {
    const call = await this.deps.findCall(event.callSid);
    if (!call) {
      this.deps.logger.info('status callback for a Twilio call without a record', { callSid: event.callSid, callStatus: event.callStatus });
      return;
    }
    if (CALLER_ENDED.has(event.callStatus)) {
      await this.center.callerHungUp(call.id, {
        callStatus: event.callStatus,
        ...(event.callDurationSeconds !== undefined ? { durationSeconds: event.callDurationSeconds } : {}),
      });
      return;
    }
    if (call.state !== 'ended') await this.center.note(call.id, 'twilio.status', { callStatus: event.callStatus });
  }

  async onOperatorLeg(event: OperatorLegEvent): Promise<void> {
    if (event.status !== 'completed') return; // ringing and answer: the ringer settles the offer
    const call = await this.deps.findCall(event.parentCallSid);
    if (!call || call.state !== 'connected') return;
    await this.center.operatorHungUp(call.id, { via: 'operator_leg', legSid: event.legSid });
  }

  // ------------------------------------------------------------- internals

  private async ivrStep(params: TwilioCallParams, event: IvrEvent): Promise<CallInstruction> {
    const call = await this.deps.findCall(params.callSid);
    if (!call) {
      // The voice webhook never got through (or its record was lost): take the call in now.
      this.deps.logger.warn('IVR webhook for an unknown Twilio call: taking it in', { callSid: params.callSid });
      return this.onIncoming({ ...params, attempt: 0 });
    }
    if (call.state !== 'in_ivr') return this.resume(call);
    const commands = await this.center.ivrEvent(call.id, event);
    if (commands.length === 0 && event.type === 'digit') {
      // No engine session for this call (restart, another instance): still honour a category key.
      const option = optionForDigit(this.deps.menu, event.digit);
      if (option?.kind === 'category') return this.queueWithoutSession(call, [], option.category);
    }
    return this.drive(call, commands);
  }

  /** Run the engine's commands until it collects a key or queues; render that as one instruction. */
  private async drive(call: CallRecord, first: IvrCommand[]): Promise<CallInstruction> {
    const prompts: TwilioPrompt[] = [];
    let commands = first;
    for (let round = 0; round < MAX_IVR_ROUNDS && commands.length > 0; round += 1) {
      let lastPlay: string | undefined;
      let collectMs: number | undefined;
      let queued = false;
      for (const command of commands) {
        if (command.type === 'play') {
          prompts.push(twilioPrompt(command.prompt));
          lastPlay = command.promptId;
        } else if (command.type === 'collect_digit') collectMs = command.timeoutMs;
        else if (command.type === 'queue') queued = true;
      }
      if (queued) return { kind: 'wait', prompts };
      if (collectMs !== undefined) {
        return { kind: 'menu', prompts, timeoutSeconds: Math.max(1, Math.round(collectMs / 1000)), step: await this.nextStep(call.channelId ?? call.id) };
      }
      if (lastPlay === undefined) break;
      // The prompt is in the document: to the engine it has finished.
      commands = await this.center.ivrEvent(call.id, { type: 'prompt_finished', promptId: lastPlay });
    }
    // The engine has nothing to say (its session is gone: a restart, another instance): to an operator, never a hang-up.
    return this.queueWithoutSession(call, prompts, GENERAL_CATEGORY);
  }

  private async queueWithoutSession(call: CallRecord, prompts: TwilioPrompt[], category: CategoryId): Promise<CallInstruction> {
    const current = (await this.deps.findCall(call.channelId ?? '')) ?? call;
    if (current.state !== 'new' && current.state !== 'in_ivr') return this.resume(current);
    this.log(current).warn('IVR session not available: call queued without it', { category });
    await this.center.queueDirectly(current.id, category, 'ivr_unavailable');
    return { kind: 'wait', prompts: [...prompts, twilioPrompt(promptFor(this.deps.menu, current.language, 'queued'))] };
  }

  /** What a call that is already known hears when a webhook asks again. */
  private async resume(call: CallRecord): Promise<CallInstruction> {
    switch (call.state) {
      case 'in_ivr': {
        // The engine waits for a key (or its session is gone, and the next key queues the call).
        const menu = promptFor(this.deps.menu, call.language, 'menu');
        return { kind: 'menu', prompts: [twilioPrompt(menu)], timeoutSeconds: Math.max(1, Math.round(this.deps.menu.inputTimeoutSeconds)), step: await this.nextStep(call.channelId ?? call.id) };
      }
      case 'new':
        return this.queueWithoutSession(call, [], GENERAL_CATEGORY);
      case 'ended':
        this.log(call).warn('webhook for a call whose record has ended: caller kept on hold', { endReason: call.endReason });
        return { kind: 'wait' };
      default:
        return { kind: 'wait' };
    }
  }

  private async nextStep(callSid: string): Promise<string> {
    return `menu-${await this.count(`step:${callSid}`)}`;
  }

  private async count(what: string): Promise<number> {
    const key = this.prefix + what;
    const n = await this.deps.redis.incr(key);
    if (n === 1) await this.deps.redis.expire(key, COUNTER_TTL_SECONDS);
    return n;
  }

  private log(call: CallRecord): Logger {
    return callLogger(this.deps.logger, call.id, { number: call.callerNumber, mask: this.deps.maskCallerNumbers });
  }
}
