/**
 * The call centre's vocabulary, shared by every part. Plain data: no I/O,
 * no PBX, HTTP or SQL types.
 */

/** An IVR category id from config/ivr.yaml (fire, medical, police, disaster, general, ...). */
export type CategoryId = string;

/** The category every call falls back to when the caller chooses nothing usable. */
export const GENERAL_CATEGORY: CategoryId = 'general';

/** A language id from config/ivr.yaml (`id` Bahasa Indonesia, `en` English, ...). */
export type LanguageId = string;

/** Which back end carried the call. `failsafe` = the dialplan's Queue()/Dial() path, seen through AMI. */
export type CallBackend = 'asterisk' | 'twilio' | 'failsafe';

export const CALL_STATES = ['new', 'in_ivr', 'queued', 'offered', 'connected', 'ended'] as const;
export type CallState = (typeof CALL_STATES)[number];

export const END_REASONS = ['completed', 'abandoned_in_ivr', 'abandoned_in_queue', 'failed', 'transferred'] as const;
export type EndReason = (typeof END_REASONS)[number];

export const OPERATOR_STATES = ['offline', 'ready', 'not_ready', 'offered', 'on_call', 'wrap_up'] as const;
export type OperatorState = (typeof OPERATOR_STATES)[number];

export const CLASSIFICATIONS = ['emergency', 'non_emergency', 'prank', 'ghost'] as const;
/** emergency; non-emergency or information; prank; ghost or silent. */
export type Classification = (typeof CLASSIFICATIONS)[number];

/** Who caused a timeline event. */
export type Actor =
  | { kind: 'caller' }
  | { kind: 'system' }
  | { kind: 'operator'; id: string }
  | { kind: 'pbx' };

export interface Location {
  /** Free text: address, landmark, what the caller or carrier said. */
  text?: string;
  latitude?: number;
  longitude?: number;
  /** Accuracy radius in metres, when the source gives one. */
  accuracyM?: number;
  /** Where it came from: `sip-geolocation`, `twilio`, `operator`, ... */
  source?: string;
}

/** One line of a call's append-only timeline. */
export interface TimelineEvent {
  callId: string;
  /** 1, 2, 3 ... in order of appending; unique per call. */
  seq: number;
  /** Epoch milliseconds from the injected clock. */
  at: number;
  /** e.g. `call.created`, `ivr.digit`, `call.queued`, `call.offered`, `call.connected`, `call.ended`. */
  type: string;
  actor: Actor;
  data: Record<string, unknown>;
}

/** The durable record of one call. */
export interface CallRecord {
  id: string;
  backend: CallBackend;
  /** Caller number as the network gave it (unmasked; mask when logging). */
  callerNumber: string;
  /** The number dialled: 112, or a legacy number (110, 113, 115, 118, 119). */
  dialedNumber: string;
  /** Carrier trunk or Twilio number it arrived on, when known. */
  trunk?: string;
  /** PBX channel id (ARI) or Twilio CallSid. */
  channelId?: string;
  /** Asterisk's unique id / linked id, when known. */
  pbxUniqueId?: string;
  state: CallState;
  endReason?: EndReason;
  language: LanguageId;
  category?: CategoryId;
  priority?: number;
  operatorId?: string;
  location?: Location;
  /** When the call reached siaga112: answer time counts from here. */
  createdAt: number;
  queuedAt?: number;
  connectedAt?: number;
  endedAt?: number;
  updatedAt: number;
}

export interface Outcome {
  callId: string;
  operatorId: string;
  confirmedCategory: CategoryId;
  classification: Classification;
  /** Agency ids: `police`, `fire`, `ambulance`, `sar`, or extra ones from config. */
  agencies: string[];
  location?: Location;
  notes: string;
  submittedAt: number;
}

export interface OperatorAccount {
  id: string;
  displayName: string;
  /** Softphone address: `PJSIP/op1`, `client:op1` (Twilio), `sip:op1@...`. */
  endpoint: string;
}

export type CallbackStatus = 'open' | 'taken' | 'done';

/** A task to call back a caller who hung up while waiting. */
export interface CallbackTask {
  id: string;
  callId: string;
  callerNumber: string;
  createdAt: number;
  status: CallbackStatus;
  takenBy?: string;
  takenAt?: number;
}
