import type { Clock } from '../core/clock';
import { NotFoundError, ValidationError } from '../core/errors';
import { summarizePeriod, summarizeSince, SUMMARY_DEFINITIONS, type PeriodSummary, type SinceFigures } from '../domain/kpi/period-summary';
import { computeServiceLevel, KPI_DEFINITIONS, type KpiCall, type ServiceLevelFigures } from '../domain/kpi/service-level';
import type { CallRecord, Classification, Outcome, TimelineEvent } from '../domain/types';
import type { CallQuery, CallStore, TimeRange } from '../ports/call-store';
import { callsToCsv, type ReportCall } from './call-export';
import { assertTimeZone, dateRangeOf, datesIn, dayRange, localDate, monthRange } from './time-zone';

export interface ReportServiceOptions {
  store: CallStore;
  clock: Clock;
  /** IANA zone of the centre's day. @defaultValue Asia/Jakarta */
  timeZone?: string;
  /** Largest export, in calls. @defaultValue 100000 */
  maxExportRows?: number;
}

export type CallFilter = Omit<CallQuery, 'limit' | 'offset'>;

export interface TodayFigures {
  date: string;
  timeZone: string;
  range: TimeRange;
  figures: ServiceLevelFigures;
  definitions: Readonly<Record<string, string>>;
}

export interface Summary {
  period: 'day' | 'month';
  /** `YYYY-MM-DD` or `YYYY-MM`. */
  label: string;
  timeZone: string;
  range: TimeRange;
  figures: PeriodSummary;
  since?: SinceFigures;
  definitions: Readonly<Record<string, string>>;
}

export interface RepeatCaller {
  callerNumber: string;
  calls: number;
  firstAt: number;
  lastAt: number;
  lastCallId: string;
  byClassification: Partial<Record<Classification, number>>;
  /** Calls without a recorded outcome. */
  unclassified: number;
}

const PAGE = 1000;

/**
 * Supervisor reports over the call store: the call list, one call's whole
 * record, CSV export, daily and monthly summaries, today's service level for
 * the wallboard, and repeat callers.
 */
export class ReportService {
  readonly timeZone: string;
  private readonly store: CallStore;
  private readonly clock: Clock;
  private readonly maxExportRows: number;

  constructor(options: ReportServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.timeZone = options.timeZone ?? 'Asia/Jakarta';
    assertTimeZone(this.timeZone);
    this.maxExportRows = options.maxExportRows ?? 100_000;
  }

  private async withOutcomes(calls: ReadonlyArray<CallRecord>): Promise<ReportCall[]> {
    return Promise.all(
      calls.map(async (call) => {
        const outcome = await this.store.getOutcome(call.id);
        return outcome ? { call, outcome } : { call };
      }),
    );
  }

  private async inRange(range: TimeRange): Promise<ReportCall[]> {
    return this.withOutcomes(await this.store.findByTimeRange(range));
  }

  /** One page of the filtered list, newest first. */
  async listCalls(filter: CallFilter, page: { limit?: number; offset?: number } = {}): Promise<ReportCall[]> {
    return this.withOutcomes(await this.store.queryCalls({ ...filter, ...page }));
  }

  async callDetail(callId: string): Promise<{ call: CallRecord; outcome?: Outcome; timeline: TimelineEvent[] }> {
    const call = await this.store.getCall(callId);
    if (!call) throw new NotFoundError('call', callId);
    const [outcome, timeline] = await Promise.all([this.store.getOutcome(callId), this.store.getTimeline(callId)]);
    return { call, ...(outcome ? { outcome } : {}), timeline };
  }

  /** Every call matching the filter (oldest first) as RFC 4180 CSV. */
  async exportCsv(filter: CallFilter): Promise<string> {
    const rows: ReportCall[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.store.queryCalls({ ...filter, limit: PAGE, offset });
      rows.push(...(await this.withOutcomes(page)));
      if (rows.length > this.maxExportRows) {
        throw new ValidationError(`the export has more than ${this.maxExportRows} calls: narrow the time range`, [{ field: 'range', message: 'too many calls' }]);
      }
      if (page.length < PAGE) break;
    }
    return callsToCsv(rows, this.timeZone);
  }

  /** Today's (local) service level, for the wallboard. */
  async today(): Promise<TodayFigures> {
    const date = localDate(this.clock.now(), this.timeZone);
    const range = dayRange(date, this.timeZone);
    const calls = await this.inRange(range);
    return { date, timeZone: this.timeZone, range, figures: computeServiceLevel(calls as KpiCall[], { timeZone: this.timeZone }), definitions: KPI_DEFINITIONS };
  }

  async daily(date: string, since?: string): Promise<Summary> {
    return this.summary('day', date, dayRange(date, this.timeZone), since);
  }

  async monthly(month: string, since?: string): Promise<Summary> {
    return this.summary('month', month, monthRange(month, this.timeZone), since);
  }

  private async summary(period: Summary['period'], label: string, range: TimeRange, since?: string): Promise<Summary> {
    const calls = (await this.inRange(range)) as KpiCall[];
    const figures = summarizePeriod(calls, datesIn(range, this.timeZone), (ms) => localDate(ms, this.timeZone), { timeZone: this.timeZone });
    let sinceFigures: SinceFigures | undefined;
    if (since !== undefined) {
      const from = dayRange(since, this.timeZone, 'since').from;
      if (from >= range.to) throw new ValidationError(`since ${since} is after the period`, [{ field: 'since', message: 'must be a date before the end of the period' }]);
      sinceFigures = summarizeSince((await this.inRange({ from, to: range.to })) as KpiCall[], since);
    }
    return { period, label, timeZone: this.timeZone, range, figures, ...(sinceFigures ? { since: sinceFigures } : {}), definitions: SUMMARY_DEFINITIONS };
  }

  /** Numbers with at least `minCalls` calls in the range, most calls first. */
  async repeatCallers(range: TimeRange, minCalls = 3, limit = 100): Promise<RepeatCaller[]> {
    if (!Number.isSafeInteger(minCalls) || minCalls < 2) throw new ValidationError('invalid min', [{ field: 'min', message: 'must be a whole number, 2 or more' }]);
    const byNumber = new Map<string, RepeatCaller>();
    for (const { call, outcome } of await this.inRange(range)) {
      let r = byNumber.get(call.callerNumber);
      if (!r) {
        r = { callerNumber: call.callerNumber, calls: 0, firstAt: call.createdAt, lastAt: call.createdAt, lastCallId: call.id, byClassification: {}, unclassified: 0 };
        byNumber.set(call.callerNumber, r);
      }
      r.calls += 1;
      r.firstAt = Math.min(r.firstAt, call.createdAt);
      if (call.createdAt >= r.lastAt) {
        r.lastAt = call.createdAt;
        r.lastCallId = call.id;
      }
      if (outcome) r.byClassification[outcome.classification] = (r.byClassification[outcome.classification] ?? 0) + 1;
      else r.unclassified += 1;
    }
    return [...byNumber.values()]
      .filter((r) => r.calls >= minCalls)
      .sort((a, b) => b.calls - a.calls || b.lastAt - a.lastAt || a.callerNumber.localeCompare(b.callerNumber))
      .slice(0, limit);
  }

  /** The local date range [from, to) as a TimeRange (`to` inclusive as a date). */
  dates(from: string, to: string): TimeRange {
    return dateRangeOf(from, to, this.timeZone);
  }
}
