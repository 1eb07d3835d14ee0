import type { CategoryId, LanguageId } from '../domain/types';

/** A waiting call as the queue carries it. */
export interface QueueEntry {
  callId: string;
  category: CategoryId;
  /** 1 = most urgent. */
  priority: number;
  language: LanguageId;
  callerNumber: string;
  /** When the call first joined the queue (kept when it is requeued). */
  queuedAt: number;
}

/** What the call centre asks of the queue and dispatcher. */
export interface DispatchPort {
  /** Put a call in the queue. Idempotent: a call already waiting keeps its place. */
  enqueue(entry: QueueEntry): Promise<void>;
  /**
   * The caller hung up while waiting. `removed`: it was waiting and is gone
   * from the queue; `offered`: an operator's phone is ringing for it (the
   * ring settles as caller_gone); `absent`: the queue does not have it.
   */
  abandon(callId: string): Promise<'removed' | 'offered' | 'absent'>;
  /** The operator's call ended: the operator goes to wrap-up. */
  operatorCallEnded(operatorId: string, callId: string): Promise<void>;
  /** The operator submitted the outcome: wrap-up ends. */
  endWrapUp(operatorId: string): Promise<void>;
}

/**
 * How the dispatcher reports each step. It awaits every method, so the
 * record is written before the step goes further.
 */
export interface DispatchObserver {
  onOffered(callId: string, operatorId: string): Promise<void>;
  onAnswered(callId: string, operatorId: string): Promise<void>;
  /** No answer, busy, rejected, unreachable or failed: the call goes back to the queue. */
  onMissed(callId: string, operatorId: string, result: string): Promise<void>;
  onAbandoned(callId: string, where: 'queue' | 'ringing'): Promise<void>;
  onReassured(callId: string): Promise<void>;
  onOverflow(callId: string, action: 'keep_waiting' | 'transfer', target?: string): Promise<void>;
  onWrapUpEnded(operatorId: string, callId: string, by: 'outcome' | 'timeout'): Promise<void>;
}
