import { ValidationError, type FieldIssue } from '../core/errors';
import { CALL_STATES, CLASSIFICATIONS, END_REASONS, type CallBackend, type CallbackTask, type CallRecord, type OperatorAccount, type Outcome } from '../domain/types';
import type { CallQuery, CallUpdate, TimeRange, TimelineEventInput } from '../ports/call-store';
import { CALL_COLUMNS, isCallField, type CallField } from './call-columns';

/*
 * Checks on everything the store is asked to write, so that bad input is
 * refused with a ValidationError before any SQL runs (and changes nothing).
 */

const BACKENDS: readonly CallBackend[] = ['asterisk', 'twilio', 'failsafe'];
const ACTOR_KINDS = ['caller', 'system', 'operator', 'pbx'] as const;
const CALLBACK_STATUSES: readonly CallbackTask['status'][] = ['open', 'taken', 'done'];

/** Largest page queryCalls returns; also the default. */
export const MAX_QUERY_LIMIT = 1000;
export const DEFAULT_QUERY_LIMIT = 100;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEpochMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function fail(what: string, issues: FieldIssue[]): void {
  if (issues.length > 0) throw new ValidationError(`${what}: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`, issues);
}

/** Check one CallRecord field's value (present, not undefined). */
function checkCallField(field: CallField, value: unknown, issues: FieldIssue[]): void {
  const spec = CALL_COLUMNS[field];
  if (value === undefined || value === null) {
    if (spec.required) issues.push({ field, message: 'is required' });
    return;
  }
  if (spec.kind === 'integer') {
    if (field === 'priority' ? !Number.isSafeInteger(value) : !isEpochMs(value)) {
      issues.push({ field, message: field === 'priority' ? 'must be a whole number' : 'must be epoch milliseconds (a whole number)' });
    }
    return;
  }
  if (spec.kind === 'json') {
    if (!isPlainObject(value)) issues.push({ field, message: 'must be an object' });
    return;
  }
  if (!nonEmpty(value)) {
    issues.push({ field, message: 'must be a non-empty string' });
    return;
  }
  const allowed: readonly string[] | undefined =
    field === 'state' ? CALL_STATES : field === 'endReason' ? END_REASONS : field === 'backend' ? BACKENDS : undefined;
  if (allowed && !allowed.includes(value)) issues.push({ field, message: `must be one of ${allowed.join(', ')}` });
}

export function validateNewCall(call: CallRecord): void {
  const issues: FieldIssue[] = [];
  if (!isPlainObject(call)) throw new ValidationError('call record must be an object');
  if (!nonEmpty(call.id)) issues.push({ field: 'id', message: 'must be a non-empty string' });
  for (const key of Object.keys(call)) {
    if (key !== 'id' && !isCallField(key)) issues.push({ field: key, message: 'is not a call record field' });
  }
  for (const [field, spec] of Object.entries(CALL_COLUMNS) as [CallField, (typeof CALL_COLUMNS)[CallField]][]) {
    const value = call[field];
    if (value === undefined && !spec.required) continue;
    checkCallField(field, value, issues);
  }
  fail('invalid call record', issues);
}

export function validatePatch(patch: CallUpdate['patch']): void {
  if (!isPlainObject(patch)) throw new ValidationError('call patch must be an object', [{ field: 'patch', message: 'must be an object' }]);
  const issues: FieldIssue[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'id') issues.push({ field: 'patch.id', message: 'a call id cannot change' });
    else if (!isCallField(key)) issues.push({ field: `patch.${key}`, message: 'is not a call record field' });
    else if (value === undefined && !CALL_COLUMNS[key].required) continue; // clears the field
    else {
      const sub: FieldIssue[] = [];
      checkCallField(key, value, sub);
      issues.push(...sub.map((i) => ({ field: `patch.${i.field}`, message: i.message })));
    }
  }
  fail('invalid call patch', issues);
}

export function validateEvent(event: CallUpdate['event']): void {
  if (!isPlainObject(event)) throw new ValidationError('timeline event must be an object', [{ field: 'event', message: 'must be an object' }]);
  const issues: FieldIssue[] = [];
  if (!isEpochMs(event.at)) issues.push({ field: 'event.at', message: 'must be epoch milliseconds (a whole number)' });
  if (!nonEmpty(event.type)) issues.push({ field: 'event.type', message: 'must be a non-empty string' });
  const actor: unknown = event.actor;
  if (!isPlainObject(actor) || !(ACTOR_KINDS as readonly unknown[]).includes(actor.kind)) {
    issues.push({ field: 'event.actor', message: `must be an object with kind ${ACTOR_KINDS.join(', ')}` });
  } else if (actor.kind === 'operator' && !nonEmpty(actor.id)) {
    issues.push({ field: 'event.actor.id', message: 'an operator actor needs the operator id' });
  }
  if (event.data !== undefined && !isPlainObject(event.data)) issues.push({ field: 'event.data', message: 'must be an object' });
  fail('invalid timeline event', issues);
}

/** The extra events of a write (`before` of an update, `after` of a create): a short list of valid events. */
export function validateExtraEvents(field: 'before' | 'after', events: unknown): TimelineEventInput[] {
  if (events === undefined) return [];
  if (!Array.isArray(events) || events.length > MAX_EXTRA_EVENTS) {
    throw new ValidationError(`invalid ${field} events`, [{ field, message: `must be a list of at most ${MAX_EXTRA_EVENTS} timeline events` }]);
  }
  for (const event of events) validateEvent(event as TimelineEventInput);
  return events as TimelineEventInput[];
}
const MAX_EXTRA_EVENTS = 16;

/** `before` and `after` of an update: together at most MAX_EXTRA_EVENTS events. */
export function validateUpdateEvents(update: Pick<CallUpdate, 'before' | 'after'>): { before: TimelineEventInput[]; after: TimelineEventInput[] } {
  const before = validateExtraEvents('before', update.before);
  const after = validateExtraEvents('after', update.after);
  if (before.length + after.length > MAX_EXTRA_EVENTS) {
    throw new ValidationError('invalid update events', [{ field: 'after', message: `before and after together hold at most ${MAX_EXTRA_EVENTS} timeline events` }]);
  }
  return { before, after };
}

/** The callback task an update creates: a valid new task for this very call. */
export function validateUpdateCallback(callId: string, task: CallbackTask | undefined): CallbackTask | undefined {
  if (task === undefined) return undefined;
  validateNewCallback(task);
  if (task.callId !== callId) throw new ValidationError('invalid callback task', [{ field: 'callback.callId', message: `must be the updated call (${callId})` }]);
  return task;
}

export function validateOutcome(outcome: Outcome): void {
  if (!isPlainObject(outcome)) throw new ValidationError('outcome must be an object');
  const issues: FieldIssue[] = [];
  if (!nonEmpty(outcome.callId)) issues.push({ field: 'callId', message: 'must be a non-empty string' });
  if (!nonEmpty(outcome.operatorId)) issues.push({ field: 'operatorId', message: 'must be a non-empty string' });
  if (!nonEmpty(outcome.confirmedCategory)) issues.push({ field: 'confirmedCategory', message: 'must be a non-empty string' });
  if (!(CLASSIFICATIONS as readonly unknown[]).includes(outcome.classification)) {
    issues.push({ field: 'classification', message: `must be one of ${CLASSIFICATIONS.join(', ')}` });
  }
  if (!Array.isArray(outcome.agencies) || !outcome.agencies.every(nonEmpty)) {
    issues.push({ field: 'agencies', message: 'must be a list of agency ids' });
  }
  if (outcome.location !== undefined && !isPlainObject(outcome.location)) issues.push({ field: 'location', message: 'must be an object' });
  if (typeof outcome.notes !== 'string') issues.push({ field: 'notes', message: 'must be a string' });
  if (!isEpochMs(outcome.submittedAt)) issues.push({ field: 'submittedAt', message: 'must be epoch milliseconds (a whole number)' });
  fail('invalid outcome', issues);
}

export function validateOperator(operator: OperatorAccount): void {
  if (!isPlainObject(operator)) throw new ValidationError('operator must be an object');
  const issues: FieldIssue[] = [];
  for (const field of ['id', 'displayName', 'endpoint'] as const) {
    if (!nonEmpty(operator[field])) issues.push({ field, message: 'must be a non-empty string' });
  }
  fail('invalid operator', issues);
}

/** A new callback task starts open and untaken. */
export function validateNewCallback(task: CallbackTask): void {
  if (!isPlainObject(task)) throw new ValidationError('callback task must be an object');
  const issues: FieldIssue[] = [];
  for (const field of ['id', 'callId', 'callerNumber'] as const) {
    if (!nonEmpty(task[field])) issues.push({ field, message: 'must be a non-empty string' });
  }
  if (!isEpochMs(task.createdAt)) issues.push({ field: 'createdAt', message: 'must be epoch milliseconds (a whole number)' });
  if (task.status !== 'open') issues.push({ field: 'status', message: 'a new callback task must be open' });
  if (task.takenBy !== undefined || task.takenAt !== undefined) issues.push({ field: 'takenBy', message: 'a new callback task is not taken yet' });
  fail('invalid callback task', issues);
}

export function validateCallbackStatus(status: unknown): void {
  if (status !== undefined && !(CALLBACK_STATUSES as readonly unknown[]).includes(status)) {
    throw new ValidationError('invalid callback status', [{ field: 'status', message: `must be one of ${CALLBACK_STATUSES.join(', ')}` }]);
  }
}

export function validateId(field: string, value: unknown): void {
  if (!nonEmpty(value)) throw new ValidationError(`invalid ${field}`, [{ field, message: 'must be a non-empty string' }]);
}

export function validateTime(field: string, value: unknown): void {
  if (!isEpochMs(value)) throw new ValidationError(`invalid ${field}`, [{ field, message: 'must be epoch milliseconds (a whole number)' }]);
}

export function validateRange(range: TimeRange, field = 'range'): void {
  const issues: FieldIssue[] = [];
  if (!isPlainObject(range as unknown)) throw new ValidationError(`invalid ${field}`, [{ field, message: 'must be { from, to }' }]);
  if (!isEpochMs(range.from)) issues.push({ field: `${field}.from`, message: 'must be epoch milliseconds (a whole number)' });
  if (!isEpochMs(range.to)) issues.push({ field: `${field}.to`, message: 'must be epoch milliseconds (a whole number)' });
  if (issues.length === 0 && range.from > range.to) issues.push({ field, message: 'from must not be after to' });
  fail(`invalid ${field}`, issues);
}

/** Returns the limit and offset to use. */
export function validateQuery(query: CallQuery): { limit: number; offset: number } {
  if (!isPlainObject(query as unknown)) throw new ValidationError('invalid call query', [{ field: 'query', message: 'must be an object' }]);
  if (query.range !== undefined) validateRange(query.range);
  const issues: FieldIssue[] = [];
  for (const field of ['callerNumber', 'category', 'classification', 'operatorId'] as const) {
    if (query[field] !== undefined && !nonEmpty(query[field])) issues.push({ field, message: 'must be a non-empty string' });
  }
  const limit = query.limit ?? DEFAULT_QUERY_LIMIT;
  const offset = query.offset ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) issues.push({ field: 'limit', message: `must be a whole number from 1 to ${MAX_QUERY_LIMIT}` });
  if (!Number.isSafeInteger(offset) || offset < 0) issues.push({ field: 'offset', message: 'must be a whole number, 0 or more' });
  fail('invalid call query', issues);
  return { limit, offset };
}
