import type { CallRecord } from '../domain/types';
import { decodeInteger, decodeJson, type Row, type SqlValue } from './sql-values';

/** Every CallRecord field but `id`: the ones a patch may change. */
export type CallField = keyof Omit<CallRecord, 'id'>;

export type ColumnKind = 'text' | 'integer' | 'json';

export interface ColumnSpec {
  column: string;
  kind: ColumnKind;
  /** NOT NULL in the schema: a patch may not clear it. */
  required: boolean;
}

/** How each CallRecord field is stored in `calls`. */
export const CALL_COLUMNS: Readonly<Record<CallField, ColumnSpec>> = {
  backend: { column: 'backend', kind: 'text', required: true },
  callerNumber: { column: 'caller_number', kind: 'text', required: true },
  dialedNumber: { column: 'dialed_number', kind: 'text', required: true },
  trunk: { column: 'trunk', kind: 'text', required: false },
  channelId: { column: 'channel_id', kind: 'text', required: false },
  pbxUniqueId: { column: 'pbx_unique_id', kind: 'text', required: false },
  state: { column: 'state', kind: 'text', required: true },
  endReason: { column: 'end_reason', kind: 'text', required: false },
  language: { column: 'language', kind: 'text', required: true },
  category: { column: 'category', kind: 'text', required: false },
  priority: { column: 'priority', kind: 'integer', required: false },
  operatorId: { column: 'operator_id', kind: 'text', required: false },
  location: { column: 'location', kind: 'json', required: false },
  createdAt: { column: 'created_at', kind: 'integer', required: true },
  queuedAt: { column: 'queued_at', kind: 'integer', required: false },
  connectedAt: { column: 'connected_at', kind: 'integer', required: false },
  endedAt: { column: 'ended_at', kind: 'integer', required: false },
  updatedAt: { column: 'updated_at', kind: 'integer', required: true },
};

export const CALL_FIELDS = Object.keys(CALL_COLUMNS) as CallField[];

export function isCallField(key: string): key is CallField {
  return Object.prototype.hasOwnProperty.call(CALL_COLUMNS, key);
}

/** Column names of an INSERT into calls, in the order of callInsertValues. */
export const CALL_INSERT_COLUMNS: readonly string[] = ['id', ...CALL_FIELDS.map((f) => CALL_COLUMNS[f].column)];

/** One field's value as a SQL parameter (JSON as text, absent as NULL). */
export function encodeCallField(field: CallField, value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  if (CALL_COLUMNS[field].kind === 'json') return JSON.stringify(value);
  return value as string | number;
}

export function callInsertValues(call: CallRecord): SqlValue[] {
  return [call.id, ...CALL_FIELDS.map((f) => encodeCallField(f, call[f]))];
}

/** A `calls` row back to a CallRecord; NULL columns become absent fields. */
export function callFromRow(row: Row): CallRecord {
  const out: Record<string, unknown> = { id: row.id };
  for (const field of CALL_FIELDS) {
    const spec = CALL_COLUMNS[field];
    const raw = row[spec.column];
    if (raw === null || raw === undefined) continue;
    out[field] = spec.kind === 'integer' ? decodeInteger(raw) : spec.kind === 'json' ? decodeJson(raw) : raw;
  }
  // The row was validated on the way in (see validate.ts).
  return out as unknown as CallRecord;
}
