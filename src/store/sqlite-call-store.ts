import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock';
import { ConflictError, NotFoundError, Siaga112Error, UnavailableError, errorMessage } from '../core/errors';
import type { CallbackTask, CallRecord, OperatorAccount, Outcome, TimelineEvent } from '../domain/types';
import type { CallQuery, CallStore, CallUpdate, NewCallRecord, TimelineEventInput, TimeRange } from '../ports/call-store';
import { CALL_COLUMNS, CALL_INSERT_COLUMNS, callFromRow, callInsertValues, encodeCallField, type CallField } from './call-columns';
import { buildCallQuery, sqlitePlaceholder } from './call-query';
import type { Migration } from './migrations';
import { callbackFromRow, operatorFromRow, outcomeFromRow, timelineFromRow } from './row-mapping';
import type { Row, SqlValue } from './sql-values';
import { migrateSqlite } from './sqlite-migrator';
import { SqliteWriter } from './sqlite-writer';
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

export interface SqliteCallStoreOptions {
  /** The database file (its directory is created if missing), or `:memory:` for a throwaway store. */
  path: string;
  /** Stamps `updatedAt` when a patch does not and `schema_migrations.applied_at`. @defaultValue systemClock */
  clock?: Clock;
  /** How long a write waits for another process's lock on the same file. @defaultValue 5000 */
  busyTimeoutMs?: number;
  /** Schema migrations to apply; tests pass their own. @defaultValue MIGRATIONS */
  migrations?: readonly Migration[];
  /**
   * `thread`: writes run on a writer thread with its own connection (group
   * commit there), so fsyncs never block the event loop; reads stay here.
   * `inline`: writes run here. A `:memory:` store is always inline.
   * @defaultValue inline
   */
  writer?: 'inline' | 'thread';
}

/** What the connection runs with (for /readyz and tests). */
export interface SqliteDurability {
  journalMode: string;
  /** 2 = FULL. */
  synchronous: number;
  foreignKeys: boolean;
}

const TIMELINE_INSERT = 'INSERT INTO call_timeline (call_id, seq, at, type, actor, data) VALUES (?, ?, ?, ?, ?, ?)';

/**
 * The embedded call store: one SQLite file in WAL mode with synchronous=FULL,
 * so a write is on disk when its promise resolves. better-sqlite3 is
 * synchronous; the writes of one event-loop turn share one IMMEDIATE
 * transaction (group commit, one fsync), each in its own savepoint, which
 * also makes the timeline's seq safe against other processes writing the
 * same file.
 */
export class SqliteCallStore implements CallStore {
  /** Versions the open applied (empty when the schema was already current). */
  readonly appliedMigrations: readonly number[];
  private db: Database.Database | undefined;
  private readonly clock: Clock;
  private readonly statements = new Map<string, Database.Statement>();
  /** Writes waiting for the next group commit (see write). */
  private pending: Array<{ fn: () => unknown; resolve: (value: unknown) => void; reject: (err: unknown) => void }> = [];

  /** The writer thread, when writes run there. */
  private writer: SqliteWriter | undefined;

  private constructor(db: Database.Database, clock: Clock, applied: number[], writer?: SqliteWriter) {
    this.db = db;
    this.clock = clock;
    this.appliedMigrations = applied;
    this.writer = writer;
  }

  /** Open (creating if needed) the file, set durability pragmas and migrate. */
  static open(options: SqliteCallStoreOptions): SqliteCallStore {
    const clock = options.clock ?? systemClock;
    const memory = options.path === ':memory:';
    let db: Database.Database;
    try {
      if (!memory) mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
      db = new Database(options.path);
    } catch (err) {
      throw new UnavailableError('store', `cannot open the call-record file ${options.path}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      if (!memory) {
        const mode = db.pragma('journal_mode = WAL', { simple: true });
        if (mode !== 'wal') throw new UnavailableError('store', `SQLite refused WAL mode for ${options.path} (got ${String(mode)})`);
      }
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      const applied = migrateSqlite(db, clock, options.migrations);
      const writer = options.writer === 'thread' && !memory ? new SqliteWriter(path.resolve(options.path), options.busyTimeoutMs) : undefined;
      return new SqliteCallStore(db, clock, applied, writer);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  durability(): SqliteDurability {
    const db = this.conn();
    return {
      journalMode: String(db.pragma('journal_mode', { simple: true })),
      synchronous: Number(db.pragma('synchronous', { simple: true })),
      foreignKeys: Number(db.pragma('foreign_keys', { simple: true })) === 1,
    };
  }

  async createCall(call: NewCallRecord, event: CallUpdate['event'], after: TimelineEventInput[] = []): Promise<TimelineEvent> {
    validateNewCall(call);
    validateEvent(event);
    after = validateExtraEvents('after', after);
    if (this.writer) return this.writer.run('createCall', [call, event, after]);
    const columns = [...CALL_INSERT_COLUMNS, 'last_seq'];
    const insert = this.stmt(`INSERT INTO calls (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`);
    return this.write(() => {
      const res = insert.run(...callInsertValues(call), 1 + after.length);
      if (res.changes === 0) throw new ConflictError(`call ${call.id} already exists`, { callId: call.id });
      const first = this.insertEvent(call.id, 1, event);
      after.forEach((e, i) => this.insertEvent(call.id, 2 + i, e));
      return first;
    });
  }

  async updateCall(callId: string, update: CallUpdate): Promise<TimelineEvent> {
    validateId('callId', callId);
    validatePatch(update?.patch);
    validateEvent(update.event);
    const { before, after } = validateUpdateEvents(update);
    const callback = validateUpdateCallback(callId, update.callback);
    // updatedAt from this side's clock (the writer thread has the system clock).
    if (this.writer) return this.writer.run('updateCall', [callId, { ...update, patch: { updatedAt: this.clock.now(), ...update.patch } }]);
    const fields = Object.keys(update.patch) as CallField[];
    const values: SqlValue[] = fields.map((f) => encodeCallField(f, update.patch[f]));
    if (!fields.includes('updatedAt')) values.push(this.clock.now());
    const expect = update.expectState;
    const statement = this.updateStatement(fields, expect !== undefined, 1 + before.length + after.length);
    const insertCallback = callback ? this.insertCallbackStatement() : undefined;
    return this.write(() => {
      const row = (expect !== undefined ? statement.get(...values, callId, expect) : statement.get(...values, callId)) as { last_seq: number } | undefined;
      if (!row) throw this.updateRefusal(callId, expect);
      const main = row.last_seq - after.length;
      before.forEach((e, i) => this.insertEvent(callId, main - before.length + i, e));
      const written = this.insertEvent(callId, main, update.event);
      after.forEach((e, i) => this.insertEvent(callId, main + 1 + i, e));
      if (callback && insertCallback!.run(callback.id, callback.callId, callback.callerNumber, callback.createdAt).changes === 0) {
        // Thrown inside the transaction: the call's change is rolled back too.
        throw new ConflictError(`callback task ${callback.id} already exists`, { taskId: callback.id });
      }
      return written;
    });
  }

  async appendEvent(callId: string, event: CallUpdate['event']): Promise<TimelineEvent> {
    validateId('callId', callId);
    validateEvent(event);
    if (this.writer) return this.writer.run('appendEvent', [callId, event]);
    const bump = this.stmt('UPDATE calls SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq');
    return this.write(() => {
      const row = bump.get(callId) as { last_seq: number } | undefined;
      if (!row) throw new NotFoundError('call', callId);
      return this.insertEvent(callId, row.last_seq, event);
    });
  }

  async getCall(callId: string): Promise<CallRecord | undefined> {
    const row = this.stmt('SELECT * FROM calls WHERE id = ?').get(callId) as Row | undefined;
    return row ? callFromRow(row) : undefined;
  }

  async findByChannel(channelId: string): Promise<CallRecord | undefined> {
    // Channel ids of two PBXes may collide; the newest call is the live one.
    const row = this.stmt('SELECT * FROM calls WHERE channel_id = ? ORDER BY created_at DESC, id DESC LIMIT 1').get(channelId) as Row | undefined;
    return row ? callFromRow(row) : undefined;
  }

  async getTimeline(callId: string): Promise<TimelineEvent[]> {
    const rows = this.stmt('SELECT * FROM call_timeline WHERE call_id = ? ORDER BY seq').all(callId) as Row[];
    return rows.map(timelineFromRow);
  }

  async findByCaller(callerNumber: string, range?: TimeRange): Promise<CallRecord[]> {
    validateId('callerNumber', callerNumber);
    if (range) validateRange(range);
    const rows = range
      ? this.stmt('SELECT * FROM calls WHERE caller_number = ? AND created_at >= ? AND created_at < ? ORDER BY created_at DESC, id DESC').all(callerNumber, range.from, range.to)
      : this.stmt('SELECT * FROM calls WHERE caller_number = ? ORDER BY created_at DESC, id DESC').all(callerNumber);
    return (rows as Row[]).map(callFromRow);
  }

  async findByTimeRange(range: TimeRange): Promise<CallRecord[]> {
    validateRange(range);
    const rows = this.stmt('SELECT * FROM calls WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id').all(range.from, range.to) as Row[];
    return rows.map(callFromRow);
  }

  async queryCalls(query: CallQuery): Promise<CallRecord[]> {
    const { sql, params } = buildCallQuery(query, sqlitePlaceholder);
    return (this.stmt(sql).all(...params) as Row[]).map(callFromRow);
  }

  async findActive(): Promise<CallRecord[]> {
    const rows = this.stmt("SELECT * FROM calls WHERE state <> 'ended' ORDER BY created_at, id").all() as Row[];
    return rows.map(callFromRow);
  }

  async saveOutcome(outcome: Outcome): Promise<void> {
    validateOutcome(outcome);
    if (this.writer) return this.writer.run('saveOutcome', [outcome]);
    const insert = this.stmt(
      'INSERT INTO outcomes (call_id, operator_id, confirmed_category, classification, agencies, location, notes, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING',
    );
    await this.write(() => {
      const res = this.withForeignKey(outcome.callId, () =>
        insert.run(
          outcome.callId,
          outcome.operatorId,
          outcome.confirmedCategory,
          outcome.classification,
          JSON.stringify(outcome.agencies),
          outcome.location === undefined ? null : JSON.stringify(outcome.location),
          outcome.notes,
          outcome.submittedAt,
        ),
      );
      if (res.changes === 0) throw new ConflictError(`call ${outcome.callId} already has an outcome`, { callId: outcome.callId }, 'outcome_exists');
    });
  }

  async getOutcome(callId: string): Promise<Outcome | undefined> {
    const row = this.stmt('SELECT * FROM outcomes WHERE call_id = ?').get(callId) as Row | undefined;
    return row ? outcomeFromRow(row) : undefined;
  }

  async upsertOperator(operator: OperatorAccount): Promise<void> {
    validateOperator(operator);
    if (this.writer) return this.writer.run('upsertOperator', [operator]);
    const upsert = this.stmt(
      'INSERT INTO operators (id, display_name, endpoint) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, endpoint = excluded.endpoint',
    );
    await this.write(() => upsert.run(operator.id, operator.displayName, operator.endpoint));
  }

  async getOperator(id: string): Promise<OperatorAccount | undefined> {
    const row = this.stmt('SELECT * FROM operators WHERE id = ?').get(id) as Row | undefined;
    return row ? operatorFromRow(row) : undefined;
  }

  async listOperators(): Promise<OperatorAccount[]> {
    return (this.stmt('SELECT * FROM operators ORDER BY id').all() as Row[]).map(operatorFromRow);
  }

  async createCallback(task: CallbackTask): Promise<void> {
    validateNewCallback(task);
    if (this.writer) return this.writer.run('createCallback', [task]);
    const insert = this.insertCallbackStatement();
    await this.write(() => {
      const res = this.withForeignKey(task.callId, () => insert.run(task.id, task.callId, task.callerNumber, task.createdAt));
      if (res.changes === 0) throw new ConflictError(`callback task ${task.id} already exists`, { taskId: task.id });
    });
  }

  async listCallbacks(status?: CallbackTask['status']): Promise<CallbackTask[]> {
    validateCallbackStatus(status);
    const rows = status
      ? this.stmt('SELECT * FROM callback_tasks WHERE status = ? ORDER BY created_at, id').all(status)
      : this.stmt('SELECT * FROM callback_tasks ORDER BY created_at, id').all();
    return (rows as Row[]).map(callbackFromRow);
  }

  async takeCallback(taskId: string, operatorId: string, at: number): Promise<CallbackTask> {
    validateId('taskId', taskId);
    validateId('operatorId', operatorId);
    validateTime('at', at);
    if (this.writer) return this.writer.run('takeCallback', [taskId, operatorId, at]);
    const take = this.stmt("UPDATE callback_tasks SET status = 'taken', taken_by = ?, taken_at = ? WHERE id = ? AND status = 'open' RETURNING *");
    return this.write(() => {
      const row = take.get(operatorId, at, taskId) as Row | undefined;
      if (row) return callbackFromRow(row);
      throw this.callbackRefusal(taskId, 'is not open');
    });
  }

  async completeCallback(taskId: string, operatorId: string): Promise<void> {
    validateId('taskId', taskId);
    validateId('operatorId', operatorId);
    if (this.writer) return this.writer.run('completeCallback', [taskId, operatorId]);
    const done = this.stmt("UPDATE callback_tasks SET status = 'done' WHERE id = ? AND status = 'taken' AND taken_by = ?");
    await this.write(() => {
      if (done.run(taskId, operatorId).changes === 0) throw this.callbackRefusal(taskId, `is not taken by ${operatorId}`);
    });
  }

  async ping(): Promise<void> {
    this.stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    // Writes already asked for are committed first.
    if (this.db) this.flush();
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close();
    const db = this.db;
    this.db = undefined;
    this.statements.clear();
    db?.close();
  }

  private conn(): Database.Database {
    if (!this.db) throw new UnavailableError('store', 'the call store is closed');
    return this.db;
  }

  /**
   * Group commit. Writes asked for in one turn of the event loop run
   * together in one IMMEDIATE transaction (the write lock first, so reads
   * inside are current), each in a savepoint of its own: one that fails
   * changes nothing and fails alone. Every promise resolves only after the
   * COMMIT (synchronous=FULL: on disk), so a write is still on disk when it
   * returns, but the event loop pays one fsync per batch instead of one per
   * write.
   */
  private write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      const db = this.conn();
      db.transaction(() => {
        for (const w of batch) {
          try {
            // A transaction inside a transaction is a savepoint: rolled back alone when it throws.
            outcomes.push({ ok: true, value: db.transaction(w.fn)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (err) {
      // The batch did not commit: none of its writes is on disk.
      const error = storeError(err);
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if (o.ok) w.resolve(o.value);
      else w.reject(storeError(o.error));
    });
  }

  /** Turn a foreign-key failure on call_id into NotFoundError for the call. */
  private withForeignKey<T>(callId: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new NotFoundError('call', callId);
      throw err;
    }
  }

  private insertEvent(callId: string, seq: number, event: CallUpdate['event']): TimelineEvent {
    const data = event.data ?? {};
    this.stmt(TIMELINE_INSERT).run(callId, seq, event.at, event.type, JSON.stringify(event.actor), JSON.stringify(data));
    return { callId, seq, at: event.at, type: event.type, actor: event.actor, data };
  }

  /** Prepared statements are cached by their text (a few dozen at most). */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.conn().prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** A new open callback task; `changes` is 0 when its id exists. */
  private insertCallbackStatement(): Database.Statement {
    return this.stmt("INSERT INTO callback_tasks (id, call_id, caller_number, created_at, status) VALUES (?, ?, ?, ?, 'open') ON CONFLICT (id) DO NOTHING");
  }

  private updateStatement(fields: CallField[], compareState: boolean, events: number): Database.Statement {
    const sets = fields.map((f) => `${CALL_COLUMNS[f].column} = ?`);
    if (!fields.includes('updatedAt')) sets.push('updated_at = ?');
    sets.push(`last_seq = last_seq + ${events}`);
    return this.stmt(`UPDATE calls SET ${sets.join(', ')} WHERE id = ?${compareState ? ' AND state = ?' : ''} RETURNING last_seq`);
  }

  /** Why an update matched no row: the call is unknown, or not in the expected state. */
  private updateRefusal(callId: string, expected: string | undefined): Siaga112Error {
    const row = this.stmt('SELECT state FROM calls WHERE id = ?').get(callId) as { state: string } | undefined;
    if (!row || expected === undefined) return new NotFoundError('call', callId);
    return new ConflictError(`call ${callId} is ${row.state}, not ${expected}: the change was not applied`, { callId, state: row.state, expected }, 'call_state_changed');
  }

  private callbackRefusal(taskId: string, why: string): Siaga112Error {
    const row = this.stmt('SELECT * FROM callback_tasks WHERE id = ?').get(taskId) as Row | undefined;
    if (!row) return new NotFoundError('callback task', taskId);
    const task = callbackFromRow(row);
    return new ConflictError(`callback task ${taskId} ${why} (it is ${task.status}${task.takenBy ? ` by ${task.takenBy}` : ''})`, {
      taskId,
      status: task.status,
      takenBy: task.takenBy,
    });
  }
}

/** SQLite's lock, I/O and disk-full failures are the store being unavailable; our own errors pass as they are. */
function storeError(err: unknown): unknown {
  if (err instanceof Siaga112Error) return err;
  if (err instanceof Database.SqliteError && (err.code === 'SQLITE_BUSY' || err.code.startsWith('SQLITE_IOERR') || err.code === 'SQLITE_FULL')) {
    return new UnavailableError('store', `call store write failed: ${err.message}`, { cause: err });
  }
  return err;
}

export function openSqliteCallStore(options: SqliteCallStoreOptions): SqliteCallStore {
  return SqliteCallStore.open(options);
}
