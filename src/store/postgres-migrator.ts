import type pg from 'pg';
import type { Clock } from '../core/clock';
import { MIGRATIONS, assertMigrationOrder, type Migration } from './migrations';
import { MigrationError, SchemaTooNewError } from './store-errors';

/** Advisory lock id that serialises migrations of instances starting together. */
const MIGRATION_LOCK_KEY = 112_000_001;

/**
 * Bring the PostgreSQL schema up to date: every pending migration in order,
 * in one transaction holding an advisory lock, so two instances starting at
 * once apply each migration exactly once. Returns the versions applied now.
 */
export async function migratePostgres(pool: pg.Pool, clock: Clock, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  assertMigrationOrder(migrations);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const { rows } = await client.query<{ v: number }>('SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations');
      const current = rows[0]?.v ?? 0;
      if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length);
      const applied: number[] = [];
      for (const m of migrations.slice(current)) {
        try {
          await client.query(m.postgres);
        } catch (err) {
          throw new MigrationError(m.version, m.name, err);
        }
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, clock.now()]);
        applied.push(m.version);
      }
      await client.query('COMMIT');
      return applied;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}
