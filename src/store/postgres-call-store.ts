import pg from 'pg';
import { systemClock, type Clock } from '../core/clock';
import { ConflictError, NotFoundError, Siaga112Error, UnavailableError, errorMessage } from '../core/errors';
import type { CallbackTask, CallRecord, OperatorAccount, Outcome, TimelineEvent } from '../domain/types';
import type { CallQuery, CallStore, CallUpdate, NewCallRecord, TimelineEventInput, TimeRange } from '../ports/call-store';
import { CALL_COLUMNS, CALL_INSERT_COLUMNS, callFromRow, callInsertValues, encodeCallField, type CallField } from './call-columns';
import { buildCallQuery, postgresPlaceholder } from './call-query';
import type { Migration } from './migrations';
import { migratePostgres } from './postgres-migrator';
import { callbackFromRow, operatorFromRow, outcomeFromRow, timelineFromRow } from './row-mapping';
import type { Row, SqlValue } from './sql-values';
import {
  validateCallbackStatus,
  validateEvent,
  validateExtraEvents,
  validateId,
  validateNewCall,
  validateNewCallback,
  validateOperator,
  validateOutcome,
  validatePatch,
  validateRange,
  validateTime,
  validateUpdateCallback,
  validateUpdateEvents,
} from './validate';

export interface PostgresCallStoreOptions {
  /** postgres://user@host:port/database */
  databaseUrl: string;
  /** Stamps `updatedAt` when a patch does not and `schema_migrations.applied_at`. @defaultValue systemClock */
  clock?: Clock;
  /** Connections in the pool. @defaultValue 10 */
  poolSize?: number;
  /** Give up connecting after this. @defaultValue 5000 */
  connectTimeoutMs?: number;
  /** Schema migrations to apply; tests pass their own. @defaultValue MIGRATIONS */
  migrations?: readonly Migration[];
}

const FOREIGN_KEY_VIOLATION = '23503';
const UNIQUE_VIOLATION = '23505';

/** Errors that mean "the server is not reachable right now", not "the request was wrong". */
function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || /^E[A-Z]+$/.test(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client was closed|Cannot use a pool after calling end/i.test(err.message);
}

function pgCode(err: unknown): string | undefined {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Appends a timeline row for the call the CTE `src` returns (columns id, seq). Params: at, type, actor, data. */
/**
 * Insert `count` timeline events numbered up to the `seq` that the CTE `src`
 * returns (the call's new last_seq): the i-th gets seq - count + 1 + i.
 */
function timelineFromCte(first: number, count = 1): string {
  const rows = Array.from({ length: count }, (_, i) => {
    const p = first + 4 * i;
    return `SELECT id, seq - ${count - 1 - i}, $${p}::bigint, $${p + 1}::text, $${p + 2}::jsonb, $${p + 3}::jsonb FROM src`;
  });
  return `INSERT INTO call_timeline (call_id, seq, at, type, actor, data)
    ${rows.join(' UNION ALL ')}
    RETURNING call_id, seq, at, type, actor, data`;
}

function eventParams(...events: Array<CallUpdate['event']>): SqlValue[] {
  return events.flatMap((event) => [event.at, event.type, JSON.stringify(event.actor), JSON.stringify(event.data ?? {})]);
}

/** The row of the event numbered `seq` among those a write returned. */
function rowWithSeq(rows: Row[], seq: (all: number[]) => number): Row | undefined {
  const wanted = seq(rows.map((r) => Number(r.seq)));
  return rows.find((r) => Number(r.seq) === wanted);
}

/**
 * The PostgreSQL call store, for installations that share one database.
 * Each write is one statement (data-modifying CTEs) or one transaction, so it
 * is committed when its promise resolves (synchronous_commit=on). The
 * timeline seq comes from `calls.last_seq`, bumped under the call's row lock,
 * so concurrent appends from any number of instances never collide.
 */
export class PostgresCallStore implements CallStore {
  readonly appliedMigrations: readonly number[];
  private readonly pool: pg.Pool;
  private readonly clock: Clock;
  private closed = false;

  private constructor(pool: pg.Pool, clock: Clock, applied: number[]) {
    this.pool = pool;
    this.clock = clock;
    this.appliedMigrations = applied;
  }

  /** Connect, check the server answers, and migrate. */
  static async open(options: PostgresCallStoreOptions): Promise<PostgresCallStore> {
    const clock = options.clock ?? systemClock;
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      // Commits are durable whatever the server or database default says.
      // (Behind PgBouncer, list `options` in its ignore_startup_parameters.)
      options: '-c synchronous_commit=on',
    });
    // An idle connection the server dropped is replaced at the next checkout;
    // queries report their own errors. Without a listener it would crash the process.
    pool.on('error', () => undefined);
    try {
      const applied = await migratePostgres(pool, clock, options.migrations);
      return new PostgresCallStore(pool, clock, applied);
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (err instanceof Siaga112Error) throw err;
      if (isConnectionError(err)) throw new UnavailableError('postgres', `cannot reach the call-record database: ${errorMessage(err)}`, { cause: err });
      throw err;
    }
  }

  async createCall(call: NewCallRecord, event: CallUpdate['event'], after?: TimelineEventInput[]): Promise<TimelineEvent> {
    validateNewCall(call);
    validateEvent(event);
    const events = [event, ...validateExtraEvents('after', after)];
    const values = callInsertValues(call);
    const columns = CALL_INSERT_COLUMNS.join(', ');
    const sql = `WITH src AS (
        INSERT INTO calls (${columns}, last_seq) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')}, ${events.length})
        ON CONFLICT (id) DO NOTHING RETURNING id, last_seq AS seq)
      ${timelineFromCte(values.length + 1, events.length)}`;
    const rows = await this.query(sql, [...values, ...eventParams(...events)]);
    const first = rowWithSeq(rows, () => 1);
    if (!first) throw new ConflictError(`call ${call.id} already exists`, { callId: call.id });
    return timelineFromRow(first);
  }

  async updateCall(callId: string, update: CallUpdate): Promise<TimelineEvent> {
    validateId('callId', callId);
    validatePatch(update?.patch);
    validateEvent(update.event);
    const { before, after } = validateUpdateEvents(update);
    const callback = validateUpdateCallback(callId, update.callback);
    const events = [...before, update.event, ...after];
    const fields = Object.keys(update.patch) as CallField[];
    const params: SqlValue[] = fields.map((f) => encodeCallField(f, update.patch[f]));
    const sets = fields.map((f, i) => `${CALL_COLUMNS[f].column} = $${i + 1}`);
    if (!fields.includes('updatedAt')) {
      params.push(this.clock.now());
      sets.push(`updated_at = $${params.length}`);
    }
    sets.push(`last_seq = last_seq + ${events.length}`);
    params.push(callId);
    let where = `id = $${params.length}`;
    if (update.expectState !== undefined) {
      params.push(update.expectState);
      where += ` AND state = $${params.length}`;
    }
    // The callback task rides in the same statement: inserted only when the update matched its row.
    let withCallback = '';
    if (callback) {
      params.push(callback.id, callback.callerNumber, callback.createdAt);
      const n = params.length;
      withCallback = `, task AS (INSERT INTO callback_tasks (id, call_id, caller_number, created_at, status) SELECT $${n - 2}::text, id, $${n - 1}::text, $${n}::bigint, 'open' FROM src)`;
    }
    const sql = `WITH src AS (UPDATE calls SET ${sets.join(', ')} WHERE ${where} RETURNING id, last_seq AS seq)${withCallback}
      ${timelineFromCte(params.length + 1, events.length)}`;
    let rows: Row[];
    try {
      rows = await this.query(sql, [...params, ...eventParams(...events)]);
    } catch (err) {
      if (callback && pgCode(err) === UNIQUE_VIOLATION) throw new ConflictError(`callback task ${callback.id} already exists`, { taskId: callback.id });
      throw err;
    }
    const written = rowWithSeq(rows, (seqs) => Math.max(...seqs) - after.length);
    if (!written) {
      const current = update.expectState === undefined ? undefined : await this.getCall(callId);
      if (!current) throw new NotFoundError('call', callId);
      throw new ConflictError(`call ${callId} is ${current.state}, not ${update.expectState}: the change was not applied`, { callId, state: current.state, expected: update.expectState }, 'call_state_changed');
    }
    return timelineFromRow(written);
  }

  async appendEvent(callId: string, event: CallUpdate['event']): Promise<TimelineEvent> {
    validateId('callId', callId);
    validateEvent(event);
    const sql = `WITH src AS (UPDATE calls SET last_seq = last_seq + 1 WHERE id = $1 RETURNING id, last_seq AS seq)
      ${timelineFromCte(2)}`;
    const rows = await this.query(sql, [callId, ...eventParams(event)]);
    if (!rows[0]) throw new NotFoundError('call', callId);
    return timelineFromRow(rows[0]);
  }

  async getCall(callId: string): Promise<CallRecord | undefined> {
    const rows = await this.query('SELECT * FROM calls WHERE id = $1', [callId]);
    return rows[0] ? callFromRow(rows[0]) : undefined;
  }

  async findByChannel(channelId: string): Promise<CallRecord | undefined> {
    // Channel ids of two PBXes may collide; the newest call is the live one.
    const rows = await this.query('SELECT * FROM calls WHERE channel_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1', [channelId]);
    return rows[0] ? callFromRow(rows[0]) : undefined;
  }

  async getTimeline(callId: string): Promise<TimelineEvent[]> {
    return (await this.query('SELECT * FROM call_timeline WHERE call_id = $1 ORDER BY seq', [callId])).map(timelineFromRow);
  }

  async findByCaller(callerNumber: string, range?: TimeRange): Promise<CallRecord[]> {
    validateId('callerNumber', callerNumber);
    if (range) validateRange(range);
    const rows = range
      ? await this.query('SELECT * FROM calls WHERE caller_number = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at DESC, id DESC', [callerNumber, range.from, range.to])
      : await this.query('SELECT * FROM calls WHERE caller_number = $1 ORDER BY created_at DESC, id DESC', [callerNumber]);
    return rows.map(callFromRow);
  }

  async findByTimeRange(range: TimeRange): Promise<CallRecord[]> {
    validateRange(range);
    const rows = await this.query('SELECT * FROM calls WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id', [range.from, range.to]);
    return rows.map(callFromRow);
  }

  async queryCalls(query: CallQuery): Promise<CallRecord[]> {
    const { sql, params } = buildCallQuery(query, postgresPlaceholder);
    return (await this.query(sql, params)).map(callFromRow);
  }

  async findActive(): Promise<CallRecord[]> {
    return (await this.query("SELECT * FROM calls WHERE state <> 'ended' ORDER BY created_at, id")).map(callFromRow);
  }

  async saveOutcome(outcome: Outcome): Promise<void> {
    validateOutcome(outcome);
    let rows: Row[];
    try {
      rows = await this.query(
        `INSERT INTO outcomes (call_id, operator_id, confirmed_category, classification, agencies, location, notes, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (call_id) DO NOTHING RETURNING call_id`,
        [
          outcome.callId,
          outcome.operatorId,
          outcome.confirmedCategory,
          outcome.classification,
          JSON.stringify(outcome.agencies),
          outcome.location === undefined ? null : JSON.stringify(outcome.location),
          outcome.notes,
          outcome.submittedAt,
        ],
      );
    } catch (err) {
      if (pgCode(err) === FOREIGN_KEY_VIOLATION) throw new NotFoundError('call', outcome.callId);
      throw err;
    }
    if (!rows[0]) throw new ConflictError(`call ${outcome.callId} already has an outcome`, { callId: outcome.callId }, 'outcome_exists');
  }

  async getOutcome(callId: string): Promise<Outcome | undefined> {
    const rows = await this.query('SELECT * FROM outcomes WHERE call_id = $1', [callId]);
    return rows[0] ? outcomeFromRow(rows[0]) : undefined;
  }

  async upsertOperator(operator: OperatorAccount): Promise<void> {
    validateOperator(operator);
    await this.query(
      'INSERT INTO operators (id, display_name, endpoint) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, endpoint = excluded.endpoint',
      [operator.id, operator.displayName, operator.endpoint],
    );
  }

  async getOperator(id: string): Promise<OperatorAccount | undefined> {
    const rows = await this.query('SELECT * FROM operators WHERE id = $1', [id]);
    return rows[0] ? operatorFromRow(rows[0]) : undefined;
  }

  async listOperators(): Promise<OperatorAccount[]> {
    return (await this.query('SELECT * FROM operators ORDER BY id')).map(operatorFromRow);
  }

  async createCallback(task: CallbackTask): Promise<void> {
    validateNewCallback(task);
    let rows: Row[];
    try {
      rows = await this.query(
        "INSERT INTO callback_tasks (id, call_id, caller_number, created_at, status) VALUES ($1, $2, $3, $4, 'open') ON CONFLICT (id) DO NOTHING RETURNING id",
        [task.id, task.callId, task.callerNumber, task.createdAt],
      );
    } catch (err) {
      if (pgCode(err) === FOREIGN_KEY_VIOLATION) throw new NotFoundError('call', task.callId);
      throw err;
    }
    if (!rows[0]) throw new ConflictError(`callback task ${task.id} already exists`, { taskId: task.id });
  }

  async listCallbacks(status?: CallbackTask['status']): Promise<CallbackTask[]> {
    validateCallbackStatus(status);
    const rows = status
      ? await this.query('SELECT * FROM callback_tasks WHERE status = $1 ORDER BY created_at, id', [status])
      : await this.query('SELECT * FROM callback_tasks ORDER BY created_at, id');
    return rows.map(callbackFromRow);
  }

  async takeCallback(taskId: string, operatorId: string, at: number): Promise<CallbackTask> {
    validateId('taskId', taskId);
    validateId('operatorId', operatorId);
    validateTime('at', at);
    // One statement: a concurrent taker waits on the row lock, then sees status 'taken'.
    const rows = await this.query("UPDATE callback_tasks SET status = 'taken', taken_by = $1, taken_at = $2 WHERE id = $3 AND status = 'open' RETURNING *", [
      operatorId,
      at,
      taskId,
    ]);
    if (rows[0]) return callbackFromRow(rows[0]);
    throw await this.callbackRefusal(taskId, 'is not open');
  }

  async completeCallback(taskId: string, operatorId: string): Promise<void> {
    validateId('taskId', taskId);
    validateId('operatorId', operatorId);
    const rows = await this.query("UPDATE callback_tasks SET status = 'done' WHERE id = $1 AND status = 'taken' AND taken_by = $2 RETURNING id", [taskId, operatorId]);
    if (!rows[0]) throw await this.callbackRefusal(taskId, `is not taken by ${operatorId}`);
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async query(sql: string, params: SqlValue[] = []): Promise<Row[]> {
    if (this.closed) throw new UnavailableError('store', 'the call store is closed');
    try {
      const result = await this.pool.query<Row>(sql, params);
      return result.rows;
    } catch (err) {
      if (isConnectionError(err)) throw new UnavailableError('postgres', `call-record database unreachable: ${errorMessage(err)}`, { cause: err });
      throw err;
    }
  }

  private async callbackRefusal(taskId: string, why: string): Promise<Siaga112Error> {
    const rows = await this.query('SELECT * FROM callback_tasks WHERE id = $1', [taskId]);
    if (!rows[0]) return new NotFoundError('callback task', taskId);
    const task = callbackFromRow(rows[0]);
    return new ConflictError(`callback task ${taskId} ${why} (it is ${task.status}${task.takenBy ? ` by ${task.takenBy}` : ''})`, {
      taskId,
      status: task.status,
      takenBy: task.takenBy,
    });
  }
}

export function openPostgresCallStore(options: PostgresCallStoreOptions): Promise<PostgresCallStore> {
  return PostgresCallStore.open(options);
}
