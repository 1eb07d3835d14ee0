import type { Actor, CallbackStatus, CallbackTask, Classification, Location, OperatorAccount, Outcome, TimelineEvent } from '../domain/types';
import { decodeInteger, decodeJson, decodeOptionalInteger, decodeOptionalText, decodeText, type Row } from './sql-values';

/*
 * Rows of the other tables back to domain objects. Both dialects use the
 * same column names; only the raw value types differ (see sql-values.ts).
 * Enumerated values were validated on the way in.
 */

export function timelineFromRow(row: Row): TimelineEvent {
  return {
    callId: decodeText(row.call_id),
    seq: decodeInteger(row.seq),
    at: decodeInteger(row.at),
    type: decodeText(row.type),
    actor: decodeJson(row.actor) as Actor,
    data: decodeJson(row.data) as Record<string, unknown>,
  };
}

export function outcomeFromRow(row: Row): Outcome {
  const outcome: Outcome = {
    callId: decodeText(row.call_id),
    operatorId: decodeText(row.operator_id),
    confirmedCategory: decodeText(row.confirmed_category),
    classification: decodeText(row.classification) as Classification,
    agencies: decodeJson(row.agencies) as string[],
    notes: decodeText(row.notes),
    submittedAt: decodeInteger(row.submitted_at),
  };
  if (row.location !== null && row.location !== undefined) outcome.location = decodeJson(row.location) as Location;
  return outcome;
}

export function operatorFromRow(row: Row): OperatorAccount {
  return { id: decodeText(row.id), displayName: decodeText(row.display_name), endpoint: decodeText(row.endpoint) };
}

export function callbackFromRow(row: Row): CallbackTask {
  const task: CallbackTask = {
    id: decodeText(row.id),
    callId: decodeText(row.call_id),
    callerNumber: decodeText(row.caller_number),
    createdAt: decodeInteger(row.created_at),
    status: decodeText(row.status) as CallbackStatus,
  };
  const takenBy = decodeOptionalText(row.taken_by);
  const takenAt = decodeOptionalInteger(row.taken_at);
  if (takenBy !== undefined) task.takenBy = takenBy;
  if (takenAt !== undefined) task.takenAt = takenAt;
  return task;
}
