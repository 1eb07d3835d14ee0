import type { OperatorState } from '../domain/types';
import type { RingResult } from '../ports/telephony';
import type { WaitingCall } from './call-queue';

/**
 * Every step of queue and dispatch, reported to the application layer. The
 * dispatcher AWAITS each method before it acknowledges the step (completes,
 * puts back or removes the BullMQ job, publishes the DomainEvent, wakes
 * dispatchers): the app writes the call record there. A method that throws
 * is logged; what the phone network already did is not undone.
 *
 * Exception for speed: `onOffered` runs at the same time as the ring command
 * (so a record write never delays the operator's phone); the offer is
 * settled only after it resolved.
 */
export interface DispatchObserver {
  onQueued(e: { at: number; call: WaitingCall }): Promise<void>;
  onOffered(e: { at: number; callId: string; operatorId: string; attempt: number }): Promise<void>;
  onAnswered(e: { at: number; callId: string; operatorId: string }): Promise<void>;
  /** No answer, busy, rejected, unreachable or failed: the operator goes not-ready. */
  onMissed(e: { at: number; callId: string; operatorId: string; result: RingResult }): Promise<void>;
  /** Back in the queue with its place: after a miss, or after a dead dispatcher's lease ran out. */
  onRequeued(e: { at: number; callId: string; reason: 'missed' | 'lease_expired' }): Promise<void>;
  /**
   * The caller hung up before an operator answered. `where`: waiting in the
   * queue, or while an operator's phone rang. The app creates the callback
   * task (CallStore.createCallback) here.
   */
  onAbandoned(e: { at: number; callId: string; callerNumber: string; where: 'queue' | 'ringing'; operatorId?: string }): Promise<void>;
  onCallEnded(e: { at: number; callId: string; operatorId: string; wrapUpUntil: number }): Promise<void>;
  onWrapUpEnded(e: { at: number; operatorId: string; callId: string; by: 'outcome' | 'timeout' }): Promise<void>;
  onOperatorState(e: { at: number; operatorId: string; from: OperatorState; to: OperatorState; reason?: string }): Promise<void>;
  onSoftphone(e: { at: number; operatorId: string; registered: boolean }): Promise<void>;
  onReassured(e: { at: number; callId: string }): Promise<void>;
  /** No operator logged in for overflow.noOperatorSeconds: keep waiting (just recorded) or transferred. */
  onOverflow(e: { at: number; callId: string; action: 'keep_waiting' | 'transfer'; target?: string }): Promise<void>;
}

/** An observer that records nothing; spread it to implement only some methods. */
export const noopObserver: DispatchObserver = {
  onQueued: async () => undefined,
  onOffered: async () => undefined,
  onAnswered: async () => undefined,
  onMissed: async () => undefined,
  onRequeued: async () => undefined,
  onAbandoned: async () => undefined,
  onCallEnded: async () => undefined,
  onWrapUpEnded: async () => undefined,
  onOperatorState: async () => undefined,
  onSoftphone: async () => undefined,
  onReassured: async () => undefined,
  onOverflow: async () => undefined,
};
