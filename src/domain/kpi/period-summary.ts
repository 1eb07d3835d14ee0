import type { CategoryId, Classification } from '../types';
import { computeServiceLevel, KPI_DEFINITIONS, type KpiCall, type KpiOptions, type ServiceLevelFigures } from './service-level';

/**
 * Daily and monthly summaries for the reports sent upward: the service
 * level of the period (computeServiceLevel), counts per local day, and the
 * running count of reports handled since a given date.
 */

/** Classifications that are a real report (not a false call). */
export const REPORT_CLASSIFICATIONS: ReadonlyArray<Classification> = ['emergency', 'non_emergency'];

export interface PeriodSummary extends ServiceLevelFigures {
  /** Calls per local day (`YYYY-MM-DD` in the time zone), every day of the period present. */
  byDay: Record<string, number>;
  /** Calls in the period with a recorded outcome. */
  classified: number;
  /** Calls in the period whose outcome is emergency or non-emergency/information. */
  reportsHandled: number;
}

export interface SinceFigures {
  /** The local date counted from (inclusive). */
  since: string;
  /** Calls received from `since` to the end of the period. */
  calls: number;
  /** Of those, reports handled (emergency or non-emergency/information outcome). */
  reportsHandled: number;
  /** Reports handled by classification. */
  byClassification: Partial<Record<Classification, number>>;
  /** Reports handled by confirmed category. */
  byCategory: Record<CategoryId, number>;
}

/** How the summary figures are computed (shown beside them, with KPI_DEFINITIONS). */
export const SUMMARY_DEFINITIONS: Readonly<Record<string, string>> = {
  ...KPI_DEFINITIONS,
  calls: 'Calls that reached siaga112 (StasisStart or the voice webhook) in the period, local time.',
  answered: 'Calls connected to an operator.',
  abandoned: 'Callers who hung up before an operator was connected, in the IVR or while waiting.',
  byCategory: 'Calls by category: the operator’s confirmed category when recorded, else the caller’s IVR choice.',
  byClassification: 'Calls by the classification the operator recorded (calls without an outcome are not counted).',
  byHour: 'Calls by the local hour they reached siaga112.',
  byDay: 'Calls by the local day they reached siaga112.',
  reportsHandled: 'Calls whose outcome is emergency or non-emergency/information (prank and ghost calls are not reports).',
  reportsHandledSince: 'Reports handled from the given date to the end of the period.',
};

export const isReport = (c: KpiCall): boolean => !!c.outcome && REPORT_CLASSIFICATIONS.includes(c.outcome.classification);

/** The days of the period, each as `YYYY-MM-DD`, supplied by the caller (the domain does no calendar I/O). */
export function summarizePeriod(calls: ReadonlyArray<KpiCall>, days: ReadonlyArray<string>, dayOf: (ms: number) => string, options: KpiOptions): PeriodSummary {
  const figures = computeServiceLevel(calls, options);
  const byDay: Record<string, number> = Object.fromEntries(days.map((d) => [d, 0]));
  for (const { call } of calls) {
    const d = dayOf(call.createdAt);
    byDay[d] = (byDay[d] ?? 0) + 1;
  }
  return { ...figures, byDay, classified: calls.filter((c) => c.outcome).length, reportsHandled: calls.filter(isReport).length };
}

export function summarizeSince(calls: ReadonlyArray<KpiCall>, since: string): SinceFigures {
  const reports = calls.filter(isReport);
  const byClassification: Partial<Record<Classification, number>> = {};
  const byCategory: Record<CategoryId, number> = {};
  for (const { call, outcome } of reports) {
    byClassification[outcome!.classification] = (byClassification[outcome!.classification] ?? 0) + 1;
    const category = outcome!.confirmedCategory ?? call.category ?? 'unclassified';
    byCategory[category] = (byCategory[category] ?? 0) + 1;
  }
  return { since, calls: calls.length, reportsHandled: reports.length, byClassification, byCategory };
}
