import { IllegalTransitionError } from '../../core/errors';
import type { OperatorState } from '../types';

/**
 * An operator's states and the only ways between them. Plain JSON-safe data:
 * the queue layer's Redis Lua scripts receive it as JSON and check the same
 * rules atomically.
 *
 *   offline   → ready | not_ready          log in
 *   ready     → not_ready | offered | offline
 *   not_ready → ready | offline
 *   offered   → on_call                    answered
 *             → not_ready                  missed (no answer within the ring timeout)
 *             → ready                      the caller hung up while it rang
 *   on_call   → wrap_up                    the call ended
 *   wrap_up   → ready | not_ready | offline
 *
 * Never offline while offered or on a call: the call must settle first.
 */
export const OPERATOR_TRANSITIONS: Record<OperatorState, OperatorState[]> = {
  offline: ['ready', 'not_ready'],
  ready: ['not_ready', 'offered', 'offline'],
  not_ready: ['ready', 'offline'],
  offered: ['on_call', 'not_ready', 'ready'],
  on_call: ['wrap_up'],
  wrap_up: ['ready', 'not_ready', 'offline'],
};

export function canTransitionOperator(from: OperatorState, to: OperatorState): boolean {
  return OPERATOR_TRANSITIONS[from]?.includes(to) ?? false;
}

/** Throws IllegalTransitionError when `from → to` is not allowed. */
export function assertOperatorTransition(id: string, from: OperatorState, to: OperatorState): void {
  if (!canTransitionOperator(from, to)) throw new IllegalTransitionError('operator', id, from, to);
}

/** Why an operator is not ready: chosen in the console, or set by the system. */
export type NotReadyReason = 'break' | 'training' | 'admin' | 'missed_call' | 'softphone_unregistered' | (string & {});

/** What the dispatcher knows about one operator at one moment. */
export interface OperatorSnapshot {
  id: string;
  state: OperatorState;
  /** Set while not_ready. */
  notReadyReason?: NotReadyReason;
  /** The console session is logged in. */
  loggedIn: boolean;
  /** The SIP softphone is registered (AMI) or the Twilio client is online. */
  softphoneRegistered: boolean;
  /** The call offered to or taken by the operator, if any. */
  currentCallId?: string;
  /** Epoch ms when the current state began (longest-idle operator first). */
  since?: number;
}

/** Free = may be offered a call now: logged in, ready, softphone registered, no call, not in wrap-up. */
export function isFree(op: OperatorSnapshot): boolean {
  return op.loggedIn && op.state === 'ready' && op.softphoneRegistered && !op.currentCallId;
}
