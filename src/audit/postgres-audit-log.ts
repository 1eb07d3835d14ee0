import pg from 'pg';
import { systemClock, type Clock } from '../core/clock';
import { migratePostgresSideTables } from '../store/side-tables';
import { UnavailableError } from '../core/errors';
import type { AuditEntry, AuditLog, NewAuditEntry } from './audit-log';
import { entryFromRow, pageOf, validateEntry, type AuditRow } from './audit-rows';

const MIGRATIONS: ReadonlyArray<string> = [
  `create table audit_log (
     id bigserial primary key,
     at bigint not null,
     actor text not null,
     actor_role text not null,
     action text not null,
     result text not null check (result in ('ok', 'refused', 'failed')),
     details text not null
   )`,
  'create index audit_log_action on audit_log (action, id)',
];

/** Any fixed number: the advisory lock that serialises audit migrations across instances. */
const MIGRATION_LOCK = 112_0008;

/** The audit log in PostgreSQL: its own `audit_migrations`, only `audit_*` tables. */
export class PostgresAuditLog implements AuditLog {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string, clock: Clock = systemClock): Promise<PostgresAuditLog> {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const log = new PostgresAuditLog(pool);
    try {
      await migratePostgresSideTables(pool, { table: 'audit_migrations', sql: MIGRATIONS, lock: MIGRATION_LOCK }, clock.now());
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new UnavailableError('postgres', `Cannot prepare the audit tables: ${(err as Error).message}`, { cause: err });
    }
    return log;
  }

  async record(entry: NewAuditEntry): Promise<AuditEntry> {
    validateEntry(entry);
    const { rows } = await this.pool.query<{ id: string }>(
      'insert into audit_log (at, actor, actor_role, action, result, details) values ($1, $2, $3, $4, $5, $6) returning id',
      [entry.at, entry.actor, entry.actorRole, entry.action, entry.result, JSON.stringify(entry.details)],
    );
    return { ...entry, id: Number(rows[0]!.id) };
  }

  async list(query: { limit?: number; offset?: number; action?: string } = {}): Promise<AuditEntry[]> {
    const { limit, offset } = pageOf(query);
    const { rows } = query.action
      ? await this.pool.query<AuditRow>('select * from audit_log where action = $1 order by id desc limit $2 offset $3', [query.action, limit, offset])
      : await this.pool.query<AuditRow>('select * from audit_log order by id desc limit $1 offset $2', [limit, offset]);
    return rows.map(entryFromRow);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
