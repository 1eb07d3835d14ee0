import { NotFoundError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { DispatchObserver as AppDispatchObserver, DispatchPort, QueueEntry } from '../ports/dispatch';
import type { Dispatch } from '../queue/create-dispatch';
import type { DispatchObserver as QueueDispatchObserver } from '../queue/dispatch-observer';

/**
 * Connects the call centre to the BullMQ dispatcher in both directions:
 * the DispatchPort the call centre calls, and the observer the dispatcher
 * reports to.
 */
export function dispatchPortFor(dispatchOrGetter: Dispatch | (() => Dispatch)): DispatchPort {
  // A getter lets the call centre be built before the dispatcher that reports to it.
  const d = (): Dispatch => (typeof dispatchOrGetter === 'function' ? dispatchOrGetter() : dispatchOrGetter);
  return {
    async enqueue(entry: QueueEntry): Promise<void> {
      // Idempotent (the port promises it): a call taken up again keeps its place.
      await d().ensureQueued({ ...entry });
    },
    async abandon(callId: string) {
      try {
        return (await d().abandon(callId)) === 'ringing' ? 'offered' : 'removed';
      } catch (err) {
        if (err instanceof NotFoundError) return 'absent';
        throw err;
      }
    },
    async operatorCallEnded(_operatorId: string, callId: string): Promise<void> {
      await d().callEnded(callId);
    },
    async endWrapUp(operatorId: string): Promise<void> {
      await d().operators.endWrapUp(operatorId);
    },
  };
}

/**
 * The dispatcher's observer, backed by the call centre. Steps the call
 * centre itself started (a caller leaving the queue, a call ending) are
 * already recorded there and are not recorded twice.
 */
export function queueObserverFor(center: AppDispatchObserver & { onRequeued?(callId: string): Promise<void> }, logger: Logger): QueueDispatchObserver {
  return {
    onQueued: async () => undefined,
    onOffered: (e) => center.onOffered(e.callId, e.operatorId),
    onAnswered: (e) => center.onAnswered(e.callId, e.operatorId),
    onMissed: (e) => center.onMissed(e.callId, e.operatorId, e.result),
    onRequeued: async (e) => {
      if (e.reason !== 'lease_expired') return;
      logger.warn('offer lease expired: call back in the queue with its place', { callId: e.callId });
      // The instance that rang died: its record still says offered.
      await center.onRequeued?.(e.callId);
    },
    // 'queue': CallCenter.callerHungUp asked for it and records it itself.
    onAbandoned: async (e) => {
      if (e.where === 'ringing') await center.onAbandoned(e.callId, 'ringing');
    },
    onCallEnded: async () => undefined,
    onWrapUpEnded: (e) => center.onWrapUpEnded(e.operatorId, e.callId, e.by),
    onOperatorState: async (e) => {
      logger.info('operator state', { operatorId: e.operatorId, from: e.from, to: e.to, ...(e.reason ? { reason: e.reason } : {}) });
    },
    onSoftphone: async (e) => {
      logger.info('operator softphone', { operatorId: e.operatorId, registered: e.registered });
    },
    onReassured: (e) => center.onReassured(e.callId),
    onOverflow: (e) => center.onOverflow(e.callId, e.action, e.target),
  };
}
