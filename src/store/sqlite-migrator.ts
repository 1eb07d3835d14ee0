import type Database from 'better-sqlite3';
import type { Clock } from '../core/clock';
import { MIGRATIONS, assertMigrationOrder, type Migration } from './migrations';
import { MigrationError, SchemaTooNewError } from './store-errors';

/**
 * Bring the SQLite schema up to date: every pending migration in order, all
 * in one IMMEDIATE transaction (so a second process opening the same file
 * waits instead of applying them twice). Returns the versions applied now.
 */
export function migrateSqlite(db: Database.Database, clock: Clock, migrations: readonly Migration[] = MIGRATIONS): number[] {
  assertMigrationOrder(migrations);
  const run = db.transaction((): number[] => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
    const row = db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as { v: number };
    if (row.v > migrations.length) throw new SchemaTooNewError(row.v, migrations.length);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const applied: number[] = [];
    for (const m of migrations.slice(row.v)) {
      try {
        db.exec(m.sqlite);
      } catch (err) {
        throw new MigrationError(m.version, m.name, err);
      }
      record.run(m.version, m.name, clock.now());
      applied.push(m.version);
    }
    return applied;
  });
  return run.immediate();
}
