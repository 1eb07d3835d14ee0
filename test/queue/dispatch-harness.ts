import type { Clock } from '../../src/core/clock';
import { silentLogger } from '../../src/core/logger';
import { configSchema } from '../../src/config/schema';
import { DomainEventBus, type DomainEvent } from '../../src/domain/events';
import type { Offer, OperatorRinger, RingResult, WaitingCallerControl } from '../../src/ports/telephony';
import { createDispatch, type Dispatch, type DispatchOptions } from '../../src/queue/create-dispatch';
import type { DispatchObserver } from '../../src/queue/dispatch-observer';
import type { DispatchConfig } from '../../src/queue/dispatcher';

/** Poll (real time, test side only) until `cond` holds. */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A telephony double: records every ring; the test settles each one (or `auto` does). */
export class FakeRinger implements OperatorRinger {
  readonly rings: Offer[] = [];
  private readonly open = new Map<string, (r: RingResult) => void>();
  auto?: (offer: Offer) => RingResult | Promise<RingResult> | undefined;

  ring(offer: Offer): Promise<RingResult> {
    this.rings.push(offer);
    const auto = this.auto?.(offer);
    if (auto !== undefined) return Promise.resolve(auto);
    return new Promise((resolve) => this.open.set(offer.callId, resolve));
  }

  ringing(callId: string): boolean {
    return this.open.has(callId);
  }

  settle(callId: string, result: RingResult): void {
    const resolve = this.open.get(callId);
    if (!resolve) throw new Error(`no ring open for ${callId}`);
    this.open.delete(callId);
    resolve(result);
  }

  async nextRing(count = this.rings.length + 1): Promise<Offer> {
    await waitFor(() => this.rings.length >= count, `ring #${count}`);
    return this.rings[count - 1];
  }
}

export class FakeWaiting implements WaitingCallerControl {
  readonly reassured: string[] = [];
  readonly transferred: Array<{ callId: string; target: string }> = [];
  failTransfer = false;
  async reassure(callId: string): Promise<void> {
    this.reassured.push(callId);
  }
  async transfer(callId: string, target: string): Promise<void> {
    if (this.failTransfer) throw new Error('transfer refused');
    this.transferred.push({ callId, target });
  }
}

export type ObservedStep = { step: keyof DispatchObserver; e: Record<string, unknown> };

/** An observer that records every step in order. */
export function recordingObserver(log: ObservedStep[]): DispatchObserver {
  const rec =
    (step: keyof DispatchObserver) =>
    async (e: object): Promise<void> => {
      log.push({ step, e: e as Record<string, unknown> });
    };
  return {
    onQueued: rec('onQueued'),
    onOffered: rec('onOffered'),
    onAnswered: rec('onAnswered'),
    onMissed: rec('onMissed'),
    onRequeued: rec('onRequeued'),
    onAbandoned: rec('onAbandoned'),
    onCallEnded: rec('onCallEnded'),
    onWrapUpEnded: rec('onWrapUpEnded'),
    onOperatorState: rec('onOperatorState'),
    onSoftphone: rec('onSoftphone'),
    onReassured: rec('onReassured'),
    onOverflow: rec('onOverflow'),
  };
}

export function dispatchConfig(over: Partial<DispatchConfig> = {}): DispatchConfig {
  return { ...configSchema.shape.dispatch.parse({}), ...over };
}

export interface Harness {
  dispatch: Dispatch;
  ringer: FakeRinger;
  waiting: FakeWaiting;
  steps: ObservedStep[];
  events: DomainEvent[];
}

export async function startHarness(redisUrl: string, clock: Clock, over: Partial<DispatchOptions> & { instanceId?: string } = {}): Promise<Harness> {
  const ringer = new FakeRinger();
  const waiting = new FakeWaiting();
  const steps: ObservedStep[] = [];
  const events: DomainEvent[] = [];
  const bus = new DomainEventBus();
  bus.subscribe((e) => events.push(e));
  const dispatch = createDispatch({
    redisUrl,
    clock,
    config: dispatchConfig(),
    ivrReassuranceMs: 0,
    ringer,
    waiting,
    observer: recordingObserver(steps),
    events: bus,
    instanceId: 'test',
    logger: silentLogger(),
    ...over,
  });
  await dispatch.start();
  return { dispatch, ringer, waiting, steps, events };
}

/** Define, log in, register and ready operators op1..opN (op1 idle longest). */
export async function freeOperators(d: Dispatch, ids: string[], clock?: { advance(ms: number): void }): Promise<void> {
  for (const id of ids) {
    await d.operators.define({ id, displayName: id, endpoint: `PJSIP/${id}` });
    await d.operators.login(id);
    await d.operators.setSoftphone(id, true);
    await d.operators.setReady(id);
    clock?.advance(1);
  }
}

let n = 0;
export function call(priority: number, over: Partial<{ callId: string; category: string; queuedAt: number }> = {}) {
  n += 1;
  return { callId: over.callId ?? `call_${n}`, category: over.category ?? 'general', priority, language: 'id', callerNumber: '081234567890', queuedAt: over.queuedAt };
}

/** Move a ManualClock forward in steps, letting async timer work run between steps. */
export async function tick(clock: { advance(ms: number): void }, ms: number, step = 500): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await sleep(3);
  }
}
