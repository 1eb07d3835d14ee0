import type { CallRecord, CategoryId, Classification, Outcome } from '../types';

/** A finished or running call with its outcome, as the KPIs read it. */
export interface KpiCall {
  call: Pick<CallRecord, 'id' | 'createdAt' | 'connectedAt' | 'endedAt' | 'state' | 'endReason' | 'category'>;
  outcome?: Pick<Outcome, 'classification' | 'confirmedCategory'>;
}

export interface KpiOptions {
  /** IANA zone for "by hour" (Indonesia: Asia/Jakarta WIB, Asia/Makassar WITA, Asia/Jayapura WIT). */
  timeZone: string;
}

export interface ServiceLevelFigures {
  /** Calls that reached siaga112 in the period. */
  calls: number;
  /** Calls connected to an operator. */
  answered: number;
  /** Hung up before an operator was connected (in the IVR or while waiting). */
  abandoned: number;
  /** Share of calls connected within 10 s / 15 s / 20 s of reaching siaga112 (0..1; null with no calls). */
  answeredWithin10s: number | null;
  answeredWithin15s: number | null;
  answeredWithin20s: number | null;
  /** Mean answer time of answered calls, seconds. */
  averageAnswerSeconds: number | null;
  /** EU 112 indicator: mean of the slowest 10 % of answer times, seconds. */
  slowestTenthAverageSeconds: number | null;
  /** abandoned / calls. */
  abandonRate: number | null;
  /** (prank + ghost) / classified calls. */
  falseCallRate: number | null;
  byCategory: Record<CategoryId, number>;
  byClassification: Partial<Record<Classification, number>>;
  /** 24 counts, index = local hour of arrival in `timeZone`. */
  byHour: number[];
}

/**
 * How each figure is computed, for the wallboard and the reports (EU 112
 * COCOM and NENA STA-020 definitions):
 * - answer time = from the moment the call reached siaga112 (StasisStart or
 *   the voice webhook), not from the end of the IVR, to the moment an
 *   operator was connected;
 * - "answered within N s" counts answer times <= N s (exactly N counts) over
 *   ALL calls that reached the service in the period: an abandoned call or
 *   one still waiting is not answered within N s;
 * - abandoned = the caller hung up before an operator was connected;
 * - false-call rate = prank + ghost (silent) over calls with an outcome.
 */
export const KPI_DEFINITIONS: Readonly<Record<string, string>> = {
  answeredWithin10s: 'Calls connected to an operator within 10 s of reaching siaga112 (EU 112), over all calls received.',
  answeredWithin15s: 'Calls connected within 15 s (NENA: 90 % is the standard), over all calls received.',
  answeredWithin20s: 'Calls connected within 20 s (NENA: 95 % is the standard), over all calls received.',
  averageAnswerSeconds: 'Mean time from the call reaching siaga112 to an operator connected, answered calls only.',
  slowestTenthAverageSeconds: 'Mean of the slowest 10 % of answer times (EU 112 indicator).',
  abandonRate: 'Callers who hung up before an operator was connected, over all calls received.',
  falseCallRate: 'Prank plus ghost (silent) calls, over calls with a recorded outcome.',
};

export function answerSeconds(call: KpiCall['call']): number | undefined {
  return call.connectedAt === undefined ? undefined : (call.connectedAt - call.createdAt) / 1000;
}

function isAbandoned(call: KpiCall['call']): boolean {
  return call.endReason === 'abandoned_in_ivr' || call.endReason === 'abandoned_in_queue';
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

export function computeServiceLevel(calls: ReadonlyArray<KpiCall>, options: KpiOptions): ServiceLevelFigures {
  const answerTimes = calls.map((c) => answerSeconds(c.call)).filter((s): s is number => s !== undefined);
  const within = (limit: number) => ratio(answerTimes.filter((s) => s <= limit).length, calls.length);
  const sorted = [...answerTimes].sort((a, b) => b - a);
  const slowest = sorted.slice(0, Math.max(1, Math.ceil(sorted.length / 10)));
  const classified = calls.filter((c) => c.outcome);
  const falseCalls = classified.filter((c) => c.outcome!.classification === 'prank' || c.outcome!.classification === 'ghost').length;

  const byCategory: Record<CategoryId, number> = {};
  const byClassification: Partial<Record<Classification, number>> = {};
  const byHour = new Array<number>(24).fill(0);
  const hourOf = new Intl.DateTimeFormat('en-GB', { timeZone: options.timeZone, hour: '2-digit', hourCycle: 'h23' });
  for (const { call, outcome } of calls) {
    const category = outcome?.confirmedCategory ?? call.category ?? 'unclassified';
    byCategory[category] = (byCategory[category] ?? 0) + 1;
    if (outcome) byClassification[outcome.classification] = (byClassification[outcome.classification] ?? 0) + 1;
    byHour[Number(hourOf.format(call.createdAt)) % 24]! += 1;
  }

  return {
    calls: calls.length,
    answered: answerTimes.length,
    abandoned: calls.filter((c) => isAbandoned(c.call)).length,
    answeredWithin10s: within(10),
    answeredWithin15s: within(15),
    answeredWithin20s: within(20),
    averageAnswerSeconds: answerTimes.length === 0 ? null : answerTimes.reduce((a, b) => a + b, 0) / answerTimes.length,
    slowestTenthAverageSeconds: sorted.length === 0 ? null : slowest.reduce((a, b) => a + b, 0) / slowest.length,
    abandonRate: ratio(calls.filter((c) => isAbandoned(c.call)).length, calls.length),
    falseCallRate: ratio(falseCalls, classified.length),
    byCategory,
    byClassification,
    byHour,
  };
}
