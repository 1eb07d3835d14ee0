import type { TwilioPrompt } from './twiml';

/**
 * The port between the Twilio webhooks (src/twilio/router.ts) and the call
 * centre (the app layer implements it). The router does everything Twilio-
 * specific — signatures, form parsing, replay protection, TwiML, settling
 * rings — and asks the handler only what the call logic decides.
 *
 * Replay contract: the router calls each method at most once per
 * (CallSid, event, step) within the replay window (a Redis SET NX key) and
 * answers a replay with the response it gave the first time; a handler that
 * throws releases the key, so Twilio's retry runs it again. Handlers must
 * still tolerate being called again for a call after such a failure.
 */

/** What the caller should hear next (the router turns it into TwiML). */
export type CallInstruction =
  /** An IVR step: prompts inside <Gather numDigits=1>; `step` names it in callback URLs (unique per call, e.g. `menu-2`). */
  | { kind: 'menu'; prompts: TwilioPrompt[]; timeoutSeconds: number; step: string }
  /** Wait for an operator: optional prompts, then <Enqueue> with the hold loop. */
  | { kind: 'wait'; prompts?: TwilioPrompt[] }
  /** Overflow: <Dial> the backup number. */
  | { kind: 'transfer'; target: string };

/** After a Dial ended: also `end` (hang up the caller's leg) once an operator conversation is over. */
export type DialInstruction = CallInstruction | { kind: 'end' };

/** The parameters every Twilio voice request carries (names as Twilio sends them). */
export interface TwilioCallParams {
  callSid: string;
  accountSid: string;
  from: string;
  to: string;
  callStatus: string;
  direction?: string;
}

export interface IncomingCall extends TwilioCallParams {
  /** Geo fields when Twilio has them. */
  fromCountry?: string;
  fromCity?: string;
  fromState?: string;
  callerName?: string;
  /** 0 for Twilio's first request; n for the router's n-th retry after a handler failure. */
  attempt: number;
}

export interface DigitEvent extends TwilioCallParams {
  step: string;
  /** One key: 0-9, * or #. */
  digits: string;
}

export interface NoInputEvent extends TwilioCallParams {
  step: string;
}

export interface WaitEvent extends TwilioCallParams {
  /** Seconds in the Twilio queue (absent in the fallback hold loop). */
  queueTimeSeconds?: number;
  /** WaitingCallerControl.reassure() asked for a reassurance on this turn. */
  reassureRequested: boolean;
}

export interface DialResultEvent extends TwilioCallParams {
  /** `operator` for a ring started by the OperatorRinger, `transfer` for an overflow transfer. */
  purpose: 'operator' | 'transfer';
  /** The ringer's token of the ring (operator only). */
  ring?: string;
  /** completed, answered, busy, no-answer, failed, canceled. */
  dialCallStatus: string;
  dialCallSid?: string;
  dialCallDurationSeconds?: number;
}

export interface StatusEvent extends TwilioCallParams {
  /** Seconds, on completed. */
  callDurationSeconds?: number;
  sequenceNumber?: number;
  /** Twilio's Timestamp (RFC 2822), when sent. */
  timestamp?: string;
}

/** Status callback of the operator's <Dial> leg (POST /twilio/operator-status). */
export interface OperatorLegEvent {
  /** The ringer's token of the ring this leg belongs to. */
  ring: string;
  /** The operator leg's own CallSid. */
  legSid: string;
  /** The caller's CallSid. */
  parentCallSid: string;
  /** initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled. */
  status: string;
}

export interface TwilioCallHandler {
  /** POST /twilio/voice: create the call record (before answering), start the IVR. Again after a failure: resume the call where it is. */
  onIncoming(call: IncomingCall): Promise<CallInstruction>;
  /** POST /twilio/gather: a key was pressed in step `step`. */
  onDigit(event: DigitEvent): Promise<CallInstruction>;
  /** POST /twilio/no-input: the Gather of step `step` timed out. Never ends the call: replay, or queue as general. */
  onNoInput(event: NoInputEvent): Promise<CallInstruction>;
  /** POST /twilio/wait: one turn of the wait loop; return the reassurance prompts if one is due (or requested). */
  onWait(event: WaitEvent): Promise<{ reassurance?: TwilioPrompt[] }>;
  /**
   * POST /twilio/dial-action: the <Dial> ended. The ring itself is already
   * settled through the OperatorRinger (the dispatcher hears the RingResult);
   * the handler records it and says what the caller hears next: `wait` to go
   * back to the queue, `end` after a completed conversation.
   */
  onDialResult(event: DialResultEvent): Promise<DialInstruction>;
  /** POST /twilio/status: the caller's call status callback (completed = hung up, possibly abandoned). */
  onStatus(event: StatusEvent): Promise<void>;
  /**
   * POST /twilio/operator-status: the operator leg's progress, after the
   * OperatorRinger heard it (the ringer settles answer or no answer); the
   * handler records what matters after the answer (the leg completed = the
   * conversation is over).
   */
  onOperatorLeg(event: OperatorLegEvent): Promise<void>;
}
