import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../core/clock';
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
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    const log = new SqliteAuditLog(db);
    log.migrate(clock.now());
    return log;
  }

  private migrate(now: number): void {
    this.db.exec('create table if not exists audit_migrations (version integer primary key, applied_at integer not null)');
    const run = this.db.transaction(() => {
      const row = this.db.prepare('select coalesce(max(version), 0) as v from audit_migrations').get() as { v: number };
      MIGRATIONS.forEach((sql, i) => {
        if (i + 1 <= row.v) return;
        this.db.exec(sql);
        this.db.prepare('insert into audit_migrations (version, applied_at) values (?, ?)').run(i + 1, now);
      });
    });
    run.immediate();
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
