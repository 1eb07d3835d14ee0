import type { CategoryId, EndReason, LanguageId, OperatorState } from './types';

/**
 * Domain events: every step of a call or an operator's day. The record
 * store, the logs, metrics and the consoles consume them.
 */
export type DomainEvent =
  | { type: 'call.queued'; at: number; callId: string; category: CategoryId; priority: number; language: LanguageId }
  | { type: 'call.offered'; at: number; callId: string; operatorId: string }
  | { type: 'call.answered'; at: number; callId: string; operatorId: string }
  | { type: 'call.missed'; at: number; callId: string; operatorId: string; result: string }
  | { type: 'call.requeued'; at: number; callId: string }
  | { type: 'call.abandoned'; at: number; callId: string; where: 'ivr' | 'queue' | 'ringing' }
  | { type: 'call.ended'; at: number; callId: string; reason: EndReason; operatorId?: string }
  | { type: 'call.reassured'; at: number; callId: string }
  | { type: 'call.overflow'; at: number; callId: string; action: 'keep_waiting' | 'transfer'; target?: string }
  | { type: 'callback.created'; at: number; taskId: string; callId: string }
  | { type: 'callback.taken'; at: number; taskId: string; callId: string; operatorId: string }
  | { type: 'operator.state'; at: number; operatorId: string; from: OperatorState; to: OperatorState; reason?: string }
  | { type: 'operator.softphone'; at: number; operatorId: string; registered: boolean }
  | { type: 'wrapup.ended'; at: number; operatorId: string; callId: string; by: 'outcome' | 'timeout' };

export type DomainEventType = DomainEvent['type'];

export type DomainEventListener = (event: DomainEvent) => void;

/** In-process publish/subscribe for domain events. A failing listener never breaks the publisher. */
export class DomainEventBus {
  private listeners = new Set<DomainEventListener>();
  private onListenerError: (err: unknown, event: DomainEvent) => void;

  constructor(onListenerError: (err: unknown, event: DomainEvent) => void = () => undefined) {
    this.onListenerError = onListenerError;
  }

  subscribe(listener: DomainEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: DomainEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }
}
