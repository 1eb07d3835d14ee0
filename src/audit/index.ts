import { systemClock, type Clock } from '../core/clock';
import type { AppConfig } from '../config/schema';
import type { AuditLog } from './audit-log';
import { PostgresAuditLog } from './postgres-audit-log';
import { SqliteAuditLog } from './sqlite-audit-log';

export { type AuditLog, type AuditEntry, type NewAuditEntry } from './audit-log';
export { SqliteAuditLog } from './sqlite-audit-log';
export { PostgresAuditLog } from './postgres-audit-log';

/** The audit log in the call store's database: PostgreSQL when store.databaseUrl is set, else the SQLite file. */
export async function createAuditLog(store: AppConfig['store'], clock: Clock = systemClock): Promise<AuditLog> {
  if (store.databaseUrl) return PostgresAuditLog.open(store.databaseUrl, clock);
  return SqliteAuditLog.open(store.sqlitePath, clock);
}
