import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock';
import { migrateSqliteSideTables, openDurableSqlite } from '../store/side-tables';
import type { AuditEntry, AuditLog, NewAuditEntry } from './audit-log';
import { entryFromRow, pageOf, validateEntry, type AuditRow } from './audit-rows';

/** Schema steps; each runs once, recorded in audit_migrations (not the call store's table). */
const MIGRATIONS: ReadonlyArray<string> = [
  `create table audit_log (
     id integer primary key autoincrement,
     at integer not null,
     actor text not null,
     actor_role text not null,
     action text not null,
     result text not null check (result in ('ok', 'refused', 'failed')),
     details text not null
   )`,
  'create index audit_log_action on audit_log (action, id)',
];

/**
 * The audit log in SQLite. It may share the call store's file: its own
 * connection (WAL allows that), its own migrations table, only `audit_*` tables.
 */
export class SqliteAuditLog implements AuditLog {
  private constructor(private readonly db: Database.Database) {}

  static open(file: string, clock: Clock = systemClock): SqliteAuditLog {
    const db = openDurableSqlite(file);
    migrateSqliteSideTables(db, { table: 'audit_migrations', sql: MIGRATIONS }, clock.now());
    return new SqliteAuditLog(db);
  }

  async record(entry: NewAuditEntry): Promise<AuditEntry> {
    validateEntry(entry);
    const result = this.db
      .prepare('insert into audit_log (at, actor, actor_role, action, result, details) values (?, ?, ?, ?, ?, ?)')
      .run(entry.at, entry.actor, entry.actorRole, entry.action, entry.result, JSON.stringify(entry.details));
    return { ...entry, id: Number(result.lastInsertRowid) };
  }

  async list(query: { limit?: number; offset?: number; action?: string } = {}): Promise<AuditEntry[]> {
    const { limit, offset } = pageOf(query);
    const rows = (query.action
      ? this.db.prepare('select * from audit_log where action = ? order by id desc limit ? offset ?').all(query.action, limit, offset)
      : this.db.prepare('select * from audit_log order by id desc limit ? offset ?').all(limit, offset)) as AuditRow[];
    return rows.map(entryFromRow);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
