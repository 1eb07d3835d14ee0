import type { Timer } from '../../core/clock';
import type { Pbx } from '../model/pbx';
import type { CallerScript, ChannelSnapshot, EndpointBehaviour } from '../model/types';
import type { Scenario, ScenarioCaller, ScenarioEndpoint } from './schema';

export function behaviourOf(e: Pick<ScenarioEndpoint, 'behaviour' | 'after'>): EndpointBehaviour {
  if (e.behaviour === 'busy') return { kind: 'busy', afterS: e.after };
  if (e.behaviour === 'no-answer') return { kind: 'no-answer' };
  return { kind: 'answer', afterS: e.after };
}

export function callerScript(c: ScenarioCaller, n: number): CallerScript {
  return {
    from: c.from.replace('{n}', String(n).padStart(4, '0')),
    name: c.name,
    exten: c.exten,
    context: c.context,
    tech: c.tech,
    headers: c.headers,
    steps: c.steps,
    startWhen: c.startWhen,
    abandonAfter: c.abandonAfter,
    patience: pick(c.patience, n, 1),
    talkTime: pick(c.talkTime, n, 2),
  };
}

/** A value from a range for caller n: spread evenly, the same on every run. */
function pick(v: number | [number, number] | undefined, n: number, salt: number): number | undefined {
  if (v === undefined || typeof v === 'number') return v;
  // Knuth's multiplicative hash of (n, salt) → a fraction in [0, 1).
  const h = (Math.imul(n * 4 + salt, 2654435761) >>> 0) / 2 ** 32;
  return v[0] + (v[1] - v[0]) * h;
}

/** Applies a scenario to the PBX: sets up endpoints, then places callers on the PBX clock. */
export class ScenarioRunner {
  private timers: Timer[] = [];
  private placed = 0;
  readonly calls: ChannelSnapshot[] = [];

  constructor(
    private readonly pbx: Pbx,
    private readonly scenario: Scenario,
  ) {}

  start(): void {
    for (const e of this.scenario.endpoints) {
      this.pbx.removeEndpoint(e.resource);
      this.pbx.addEndpoint({ resource: e.resource, registered: e.registered, contactUri: e.contact, behaviour: behaviourOf(e) });
    }
    for (const c of this.scenario.callers) this.schedule(c, c.at * 1000, 0);
  }

  private schedule(c: ScenarioCaller, delayMs: number, done: number): void {
    const limit = c.count ?? (c.every === undefined ? 1 : Infinity);
    if (done >= limit) return;
    const timer = this.pbx.clock.setTimer(delayMs, () => {
      this.timers = this.timers.filter((t) => t !== timer);
      this.placed += 1;
      this.calls.push(this.pbx.placeCall(callerScript(c, this.placed)));
      if (c.every !== undefined) this.schedule(c, c.every * 1000, done + 1);
    });
    this.timers.push(timer);
  }

  /** Stops placing new calls (calls in progress go on). */
  stop(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }

  get callsPlaced(): number {
    return this.placed;
  }
}
