import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';

/**
 * Parts that keep their own tables in the call store's database (accounts,
 * the audit log) migrate them with their own migrations table, so they never
 * touch the call store's schema_migrations. Migration n is `sql[n - 1]`.
 */
export interface SideTableMigrations {
  /** e.g. `accounts_migrations`. */
  table: string;
  sql: readonly string[];
}

/** Open a SQLite file the way the call store does (WAL, synchronous=FULL), creating its folder. */
export function openDurableSqlite(file: string): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}

export function migrateSqliteSideTables(db: Database.Database, migrations: SideTableMigrations, now: number): void {
  const { table, sql } = migrations;
  db.exec(`create table if not exists ${table} (version integer primary key, applied_at integer not null)`);
  const run = db.transaction(() => {
    const row = db.prepare(`select coalesce(max(version), 0) as v from ${table}`).get() as { v: number };
    sql.forEach((statement, i) => {
      if (i + 1 <= row.v) return;
      db.exec(statement);
      db.prepare(`insert into ${table} (version, applied_at) values (?, ?)`).run(i + 1, now);
    });
  });
  // immediate: two processes starting on one file migrate one after the other.
  run.immediate();
}

/** `lock` is a fixed number of the part's own: the advisory lock that serialises instances starting together. */
export async function migratePostgresSideTables(pool: pg.Pool, migrations: SideTableMigrations & { lock: number }, now: number): Promise<void> {
  const { table, sql, lock } = migrations;
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [lock]);
    await client.query(`create table if not exists ${table} (version integer primary key, applied_at bigint not null)`);
    const { rows } = await client.query<{ v: number }>(`select coalesce(max(version), 0)::int as v from ${table}`);
    const applied = rows[0]?.v ?? 0;
    for (const [i, statement] of sql.entries()) {
      if (i + 1 <= applied) continue;
      await client.query(statement);
      await client.query(`insert into ${table} (version, applied_at) values ($1, $2)`, [i + 1, now]);
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
