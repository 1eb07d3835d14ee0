import { ValidationError } from '../core/errors';
import { AUDIT_RESULTS, type AuditEntry, type NewAuditEntry } from './audit-log';

export interface AuditRow {
  id: number | string;
  at: number | string;
  actor: string;
  actor_role: string;
  action: string;
  result: string;
  details: string;
}

export function entryFromRow(row: AuditRow): AuditEntry {
  return {
    id: Number(row.id),
    at: Number(row.at),
    actor: row.actor,
    actorRole: row.actor_role,
    action: row.action,
    result: row.result as AuditEntry['result'],
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

export function validateEntry(e: NewAuditEntry): void {
  const issues: Array<{ field: string; message: string }> = [];
  if (!Number.isSafeInteger(e.at) || e.at < 0) issues.push({ field: 'at', message: 'must be epoch milliseconds' });
  for (const f of ['actor', 'actorRole', 'action'] as const) if (typeof e[f] !== 'string' || e[f].length === 0 || e[f].length > 200) issues.push({ field: f, message: 'must be a non-empty string' });
  if (!AUDIT_RESULTS.includes(e.result)) issues.push({ field: 'result', message: `must be one of ${AUDIT_RESULTS.join(', ')}` });
  if (typeof e.details !== 'object' || e.details === null || Array.isArray(e.details)) issues.push({ field: 'details', message: 'must be an object' });
  if (issues.length) throw new ValidationError(`invalid audit entry: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`, issues);
}

export function pageOf(query: { limit?: number; offset?: number } = {}): { limit: number; offset: number } {
  const limit = query.limit ?? 100;
  const offset = query.offset ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('invalid limit', [{ field: 'limit', message: 'must be a whole number from 1 to 1000' }]);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new ValidationError('invalid offset', [{ field: 'offset', message: 'must be a whole number, 0 or more' }]);
  return { limit, offset };
}
