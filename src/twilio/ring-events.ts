import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger';

/**
 * What Twilio reports about a ring in progress, keyed by the caller's
 * CallSid. Webhooks may reach any instance behind the load balancer while
 * the ring was started on another, hence a bus rather than a local map.
 */
export type RingEvent =
  /** Status callback of the operator's leg (initiated, ringing, in-progress, completed, no-answer, busy, failed, canceled). */
  | { kind: 'leg'; ring: string; legSid: string; status: string }
  /** The <Dial> action: how the dial ended, and the caller's own call status. */
  | { kind: 'dial'; ring: string; dialCallStatus: string; callStatus: string; dialCallSid?: string }
  /** The caller's call ended (its status callback said completed, busy, failed, no-answer or canceled). */
  | { kind: 'caller_gone' };

export type RingEventListener = (event: RingEvent) => void;

export interface RingEventBus {
  publish(callSid: string, event: RingEvent): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(callSid: string, listener: RingEventListener): () => void;
}

/** One process: webhooks and rings on the same instance. */
export class InMemoryRingEventBus implements RingEventBus {
  private listeners = new Map<string, Set<RingEventListener>>();

  async publish(callSid: string, event: RingEvent): Promise<void> {
    for (const l of [...(this.listeners.get(callSid) ?? [])]) l(event);
  }

  subscribe(callSid: string, listener: RingEventListener): () => void {
    let set = this.listeners.get(callSid);
    if (!set) this.listeners.set(callSid, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(callSid);
    };
  }
}

const CHANNEL_PREFIX = 'siaga112:twilio:ring:';

/**
 * Several instances sharing one Redis: events are published on
 * `siaga112:twilio:ring:<CallSid>` and each instance delivers them to its
 * own waiting rings. Needs a connection of its own for subscribing.
 */
export class RedisRingEventBus implements RingEventBus {
  private readonly local = new InMemoryRingEventBus();
  private readonly subscriber: Redis;
  private started?: Promise<void>;

  constructor(
    private readonly publisher: Redis,
    private readonly logger?: Logger,
  ) {
    this.subscriber = publisher.duplicate();
    this.subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
      const callSid = channel.slice(CHANNEL_PREFIX.length);
      try {
        void this.local.publish(callSid, JSON.parse(message) as RingEvent);
      } catch (err) {
        this.logger?.warn('malformed ring event on redis', { channel, err });
      }
    });
  }

  /** Subscribe before the first ring; resolves when Redis confirmed. */
  start(): Promise<void> {
    this.started ??= this.subscriber.psubscribe(`${CHANNEL_PREFIX}*`).then(() => undefined);
    return this.started;
  }

  async publish(callSid: string, event: RingEvent): Promise<void> {
    await this.publisher.publish(CHANNEL_PREFIX + callSid, JSON.stringify(event));
  }

  subscribe(callSid: string, listener: RingEventListener): () => void {
    return this.local.subscribe(callSid, listener);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
  }
}
