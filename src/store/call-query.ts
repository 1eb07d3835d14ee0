import type { CallQuery } from '../ports/call-store';
import type { SqlValue } from './sql-values';
import { validateQuery } from './validate';

/** `?` for SQLite, `$1, $2 ...` for PostgreSQL. */
export type Placeholder = (index: number) => string;

export const sqlitePlaceholder: Placeholder = () => '?';
export const postgresPlaceholder: Placeholder = (index) => `$${index}`;

/**
 * The SELECT behind queryCalls, newest first. `category` is the call's
 * category; `classification` is the outcome's (calls without an outcome
 * never match it); `operatorId` is the operator the call was given to.
 */
export function buildCallQuery(query: CallQuery, placeholder: Placeholder): { sql: string; params: SqlValue[] } {
  const { limit, offset } = validateQuery(query);
  const params: SqlValue[] = [];
  const p = (value: SqlValue): string => {
    params.push(value);
    return placeholder(params.length);
  };
  const where: string[] = [];
  let join = '';
  if (query.classification !== undefined) join = `JOIN outcomes o ON o.call_id = c.id AND o.classification = ${p(query.classification)}`;
  if (query.range) where.push(`c.created_at >= ${p(query.range.from)} AND c.created_at < ${p(query.range.to)}`);
  if (query.callerNumber !== undefined) where.push(`c.caller_number = ${p(query.callerNumber)}`);
  if (query.category !== undefined) where.push(`c.category = ${p(query.category)}`);
  if (query.operatorId !== undefined) where.push(`c.operator_id = ${p(query.operatorId)}`);
  const sql = [
    'SELECT c.* FROM calls c',
    join,
    where.length > 0 ? `WHERE ${where.join(' AND ')}` : '',
    `ORDER BY c.created_at DESC, c.id DESC LIMIT ${p(limit)} OFFSET ${p(offset)}`,
  ]
    .filter(Boolean)
    .join(' ');
  return { sql, params };
}
