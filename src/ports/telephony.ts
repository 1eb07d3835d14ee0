import type { CategoryId, LanguageId } from '../domain/types';

/** A reserved pairing of one waiting call and one free operator. */
export interface Offer {
  callId: string;
  operatorId: string;
  /** The operator's softphone address (`PJSIP/op1`, `client:op1`, ...). */
  endpoint: string;
  callerNumber: string;
  category: CategoryId;
  language: LanguageId;
  ringTimeoutMs: number;
}

/**
 * How an offer ended. `caller_gone`: the caller hung up while the operator's
 * phone rang (the adapter has already stopped the ringing).
 */
export type RingResult = 'answered' | 'no_answer' | 'busy' | 'rejected' | 'unreachable' | 'caller_gone' | 'failed';

/**
 * What the dispatcher needs from a telephony back end (Asterisk, Twilio,
 * or a test double). Implementations must settle every ring within
 * `ringTimeoutMs` plus a small margin: a ring that never settles would hold
 * an operator forever.
 */
export interface OperatorRinger {
  /** Ring the operator's softphone for this call; on answer, connect caller and operator. */
  ring(offer: Offer): Promise<RingResult>;
}

/** What the queue side asks of the telephony side for a waiting caller. */
export interface WaitingCallerControl {
  /** Play the "please stay on the line" message to a waiting caller. */
  reassure(callId: string): Promise<void>;
  /** Overflow: send the waiting caller to a backup number. */
  transfer(callId: string, target: string): Promise<void>;
}
