import type { DomainEvent, DomainEventBus } from '../../domain/events';

/** Something that records one dispatch latency, in seconds. */
export type DispatchLatencyRecorder = (seconds: number) => void;

const MAX_TRACKED = 10_000;

/**
 * Dispatch latency from domain events: from the moment a call could be
 * dispatched — it joined (or rejoined) the queue, or an operator became
 * ready while it waited, whichever is later — to the moment it was offered
 * (the ring command). This is the brief's "from an operator becoming free,
 * or a call being queued while an operator is free, to the originate".
 * Event times have millisecond resolution. An operator who turns ready with
 * an unregistered softphone is not truly free, so the estimate may
 * under-state such cases; a dispatcher that measures itself can call the
 * recorder directly instead.
 */
export class DispatchLatencyFromEvents {
  /** callId → when the call last became dispatchable (queued or requeued). */
  private readonly waitingSince = new Map<string, number>();
  private lastReadyAt = 0;
  private readonly unsubscribe: () => void;

  constructor(events: DomainEventBus, private readonly record: DispatchLatencyRecorder) {
    this.unsubscribe = events.subscribe((e) => this.on(e));
  }

  on(e: DomainEvent): void {
    switch (e.type) {
      case 'call.queued':
        // Published by the call centre and by the dispatcher: the first one counts.
        if (!this.waitingSince.has(e.callId)) this.track(e.callId, e.at);
        return;
      case 'call.requeued':
        this.track(e.callId, e.at);
        return;
      case 'operator.state':
        if (e.to === 'ready') this.lastReadyAt = Math.max(this.lastReadyAt, e.at);
        return;
      case 'call.offered': {
        const since = this.waitingSince.get(e.callId);
        if (since === undefined) return;
        this.waitingSince.delete(e.callId);
        this.record(Math.max(0, e.at - Math.max(since, this.lastReadyAt)) / 1000);
        return;
      }
      case 'call.abandoned':
      case 'call.ended':
        this.waitingSince.delete(e.callId);
        return;
      default:
        return;
    }
  }

  /** Calls waiting to be offered that it keeps track of. */
  get tracked(): number {
    return this.waitingSince.size;
  }

  stop(): void {
    this.unsubscribe();
    this.waitingSince.clear();
  }

  private track(callId: string, at: number): void {
    this.waitingSince.delete(callId);
    this.waitingSince.set(callId, at);
    // Bounded: a call whose end was never seen must not leak.
    if (this.waitingSince.size > MAX_TRACKED) {
      const oldest = this.waitingSince.keys().next().value;
      if (oldest !== undefined) this.waitingSince.delete(oldest);
    }
  }
}
