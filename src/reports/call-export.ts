import type { CallRecord, Outcome } from '../domain/types';
import { csvRecord, safeText, type CsvValue } from './csv';
import { isoWithOffset } from './time-zone';

/** One row of the call list and the CSV export. */
export interface ReportCall {
  call: CallRecord;
  outcome?: Outcome;
}

/** The CSV columns, in their fixed order (documented in docs/operator-guide.md). */
export const CSV_COLUMNS = [
  'call_id',
  'received_at',
  'dialed_number',
  'caller_number',
  'backend',
  'state',
  'end_reason',
  'language',
  'ivr_category',
  'confirmed_category',
  'classification',
  'agencies',
  'operator_id',
  'queued_at',
  'answered_at',
  'ended_at',
  'answer_seconds',
  'location_text',
  'latitude',
  'longitude',
  'notes',
] as const;

/** Seconds with at most three decimals, no trailing zeros: 9.999, 10, 15.5. */
export function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

export function csvRow({ call, outcome }: ReportCall, timeZone: string): string {
  const time = (ms: number | undefined): CsvValue => (ms === undefined ? undefined : isoWithOffset(ms, timeZone));
  const location = outcome?.location ?? call.location;
  const values: Record<(typeof CSV_COLUMNS)[number], CsvValue> = {
    call_id: call.id,
    received_at: time(call.createdAt),
    dialed_number: call.dialedNumber,
    caller_number: call.callerNumber,
    backend: call.backend,
    state: call.state,
    end_reason: call.endReason,
    language: call.language,
    ivr_category: call.category,
    confirmed_category: outcome?.confirmedCategory,
    classification: outcome?.classification,
    agencies: outcome?.agencies.join(';'),
    operator_id: outcome?.operatorId ?? call.operatorId,
    queued_at: time(call.queuedAt),
    answered_at: time(call.connectedAt),
    ended_at: time(call.endedAt),
    answer_seconds: call.connectedAt === undefined ? undefined : seconds(call.connectedAt - call.createdAt),
    location_text: safeText(location?.text),
    latitude: location?.latitude,
    longitude: location?.longitude,
    notes: safeText(outcome?.notes || undefined),
  };
  return csvRecord(CSV_COLUMNS.map((c) => values[c]));
}

/** Header and rows, oldest call first. */
export function callsToCsv(rows: ReadonlyArray<ReportCall>, timeZone: string): string {
  const sorted = [...rows].sort((a, b) => a.call.createdAt - b.call.createdAt || a.call.id.localeCompare(b.call.id));
  return csvRecord(CSV_COLUMNS) + sorted.map((r) => csvRow(r, timeZone)).join('');
}
