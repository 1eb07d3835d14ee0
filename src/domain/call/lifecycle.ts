import { IllegalTransitionError, ValidationError } from '../../core/errors';
import type { Actor, CallRecord, CallState, CategoryId, EndReason, TimelineEvent } from '../types';

/**
 * A call's states and the only ways between them:
 *   new → in_ivr → queued → offered → connected → ended
 *   offered → queued    the operator did not answer: back in the queue, same place
 *   new → queued        taken up after a restart, or seen through the fail-safe
 *   any → ended         (with a reason that fits where the call was)
 */
export const CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  new: ['in_ivr', 'queued', 'ended'],
  in_ivr: ['queued', 'ended'],
  queued: ['offered', 'ended'],
  offered: ['connected', 'queued', 'ended'],
  connected: ['ended'],
  ended: [],
};

/** From which states a call may end for each reason. */
export const END_REASON_FROM: Readonly<Record<EndReason, readonly CallState[]>> = {
  /** Talked to an operator. */
  completed: ['connected'],
  /** Hung up before reaching the queue. */
  abandoned_in_ivr: ['new', 'in_ivr'],
  /** Hung up while waiting or while an operator's phone rang. */
  abandoned_in_queue: ['queued', 'offered'],
  /** Our side or the network failed. */
  failed: ['new', 'in_ivr', 'queued', 'offered', 'connected'],
  /** Sent to a backup centre (overflow, alternate routing) or an agency by the operator. */
  transferred: ['new', 'queued', 'offered', 'connected'],
};

export function canTransitionCall(from: CallState, to: CallState): boolean {
  return CALL_TRANSITIONS[from].includes(to);
}

export interface CallTransitionContext {
  /** Epoch ms from the injected clock. */
  at: number;
  actor: Actor;
  /** Extra facts for the timeline event (digit pressed, PBX cause, ...). */
  data?: Record<string, unknown>;
  /** Required when going to `ended`. */
  endReason?: EndReason;
  /** Required when going to `offered`; taken from the call when going to `connected`. */
  operatorId?: string;
  /** When going to `queued`: the category and priority the call waits with. */
  category?: CategoryId;
  priority?: number;
}

/** A timeline line before the store gives it its callId and seq. */
export type CallTimelineEntry = Pick<TimelineEvent, 'at' | 'type' | 'actor' | 'data'>;

export interface CallTransition {
  /** Fields to write. A key present with the value `undefined` means "clear this field". */
  patch: Partial<CallRecord>;
  /** `call.<to>`, with `from` in its data. */
  event: CallTimelineEntry;
}

/**
 * Compute one state change of a call, without applying it. Throws
 * IllegalTransitionError for a transition (or end reason) the table does
 * not allow, and ValidationError when a required fact is missing, so
 * nothing is ever applied half-way.
 */
export function transitionCall(call: Pick<CallRecord, 'id' | 'state' | 'queuedAt' | 'operatorId'>, to: CallState, ctx: CallTransitionContext): CallTransition {
  const from = call.state;
  if (!canTransitionCall(from, to)) throw new IllegalTransitionError('call', call.id, from, to);

  const patch: Partial<CallRecord> = { state: to, updatedAt: ctx.at };
  const facts: Record<string, unknown> = {};

  switch (to) {
    case 'queued':
      // A requeued call keeps its first queuedAt: it does not lose its place.
      patch.queuedAt = call.queuedAt ?? ctx.at;
      if (from === 'offered') {
        patch.operatorId = undefined;
        if (call.operatorId) facts.operatorId = call.operatorId;
      }
      if (ctx.category !== undefined) patch.category = facts.category = ctx.category;
      if (ctx.priority !== undefined) patch.priority = facts.priority = ctx.priority;
      break;
    case 'offered': {
      if (!ctx.operatorId) throw new ValidationError(`call ${call.id}: offering needs the operator`, [{ field: 'operatorId', message: 'required to offer a call' }]);
      patch.operatorId = facts.operatorId = ctx.operatorId;
      break;
    }
    case 'connected': {
      const operatorId = ctx.operatorId ?? call.operatorId;
      if (!operatorId) throw new ValidationError(`call ${call.id}: connecting needs the operator`, [{ field: 'operatorId', message: 'required to connect a call' }]);
      patch.operatorId = facts.operatorId = operatorId;
      patch.connectedAt = ctx.at;
      break;
    }
    case 'ended': {
      const reason = ctx.endReason;
      if (!reason) throw new ValidationError(`call ${call.id}: ending needs a reason`, [{ field: 'endReason', message: 'required to end a call' }]);
      if (!END_REASON_FROM[reason]?.includes(from)) throw new IllegalTransitionError('call', call.id, from, `ended (${reason})`);
      patch.endReason = facts.reason = reason;
      patch.endedAt = ctx.at;
      if (call.operatorId) facts.operatorId = call.operatorId;
      break;
    }
    default:
      break;
  }

  return {
    patch,
    event: { at: ctx.at, type: `call.${to}`, actor: ctx.actor, data: { ...ctx.data, ...facts, from } },
  };
}

/** Apply a transition's patch to an in-memory record (for stores and tests that keep records in memory). */
export function applyCallPatch(call: CallRecord, patch: Partial<CallRecord>): CallRecord {
  const next: CallRecord = { ...call, ...patch };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete (next as unknown as Record<string, unknown>)[key];
  }
  return next;
}
