import type { Clock, Timer } from '../core/clock';
import { errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import type { DomainEventBus } from '../domain/events';
import type { Classification } from '../domain/types';
import type { Dispatch } from '../queue/create-dispatch';
import type { CallCenter } from './call-center';

export interface DemoOperatorsDeps {
  dispatch: Dispatch;
  center: CallCenter;
  events: DomainEventBus;
  clock: Clock;
  logger: Logger;
  /** Operator ids the demo works by itself; the others are left for people in the console. */
  robots: string[];
  /** Seconds a robot takes to file its outcome. @defaultValue 4 */
  wrapUpSeconds?: number;
}

const CLASSIFICATIONS: Classification[] = ['emergency', 'emergency', 'non_emergency', 'prank', 'ghost'];

/**
 * Demo only: robot operators that log in, go ready, file an outcome after
 * each call and go ready again after a missed call, so `npm start` shows
 * calls flowing end to end without anyone at a console.
 */
export class DemoOperators {
  private timers: Timer[] = [];
  private unsubscribe?: () => void;
  private turn = 0;

  constructor(private readonly deps: DemoOperatorsDeps) {}

  async start(): Promise<void> {
    const { dispatch, logger } = this.deps;
    for (const id of this.deps.robots) {
      try {
        const state = (await dispatch.operators.snapshot(id)).state;
        if (state === 'offline') await dispatch.operators.login(id);
        await dispatch.operators.setReady(id).catch(() => undefined);
        logger.info('demo operator ready', { operatorId: id });
      } catch (err) {
        logger.warn('demo operator could not start', { operatorId: id, error: errorMessage(err) });
      }
    }
    this.unsubscribe = this.deps.events.subscribe((event) => {
      if (event.type === 'call.ended' && event.operatorId && this.deps.robots.includes(event.operatorId)) {
        this.later((this.deps.wrapUpSeconds ?? 4) * 1000, () => this.fileOutcome(event.operatorId!, event.callId));
      }
      if (event.type === 'operator.state' && event.to === 'not_ready' && this.deps.robots.includes(event.operatorId)) {
        this.later(5000, () => this.deps.dispatch.operators.setReady(event.operatorId));
      }
    });
  }

  stop(): void {
    this.unsubscribe?.();
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }

  private later(ms: number, task: () => Promise<unknown>): void {
    const timer = this.deps.clock.setTimer(ms, () => {
      this.timers = this.timers.filter((t) => t !== timer);
      task().catch((err: unknown) => this.deps.logger.debug('demo operator step skipped', { error: errorMessage(err) }));
    });
    this.timers.push(timer);
  }

  private async fileOutcome(operatorId: string, callId: string): Promise<void> {
    const classification = CLASSIFICATIONS[this.turn++ % CLASSIFICATIONS.length]!;
    await this.deps.center.submitOutcome(operatorId, callId, {
      confirmedCategory: classification === 'emergency' ? 'medical' : 'general',
      classification,
      agencies: classification === 'emergency' ? ['ambulance'] : [],
      notes: `demo outcome by ${operatorId}`,
    });
  }
}
