import { systemClock, type Clock } from '../core/clock';
import type { AppConfig } from '../config/schema';
import type { CallStore } from '../ports/call-store';
import { PostgresCallStore } from './postgres-call-store';
import { SqliteCallStore } from './sqlite-call-store';

export { SqliteCallStore, openSqliteCallStore, type SqliteCallStoreOptions, type SqliteDurability } from './sqlite-call-store';
export { PostgresCallStore, openPostgresCallStore, type PostgresCallStoreOptions } from './postgres-call-store';
export { MIGRATIONS, type Migration } from './migrations';
export { MigrationError, SchemaTooNewError } from './store-errors';
export { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT } from './validate';

/**
 * The call store the configuration asks for: PostgreSQL when
 * `store.databaseUrl` is set, else the embedded SQLite file at
 * `store.sqlitePath`. Opening migrates the schema.
 */
export async function createCallStore(config: AppConfig['store'], clock: Clock = systemClock): Promise<CallStore> {
  if (config.databaseUrl) return PostgresCallStore.open({ databaseUrl: config.databaseUrl, clock });
  // Writes on a writer thread: the event loop never waits for an fsync.
  return SqliteCallStore.open({ path: config.sqlitePath, clock, writer: 'thread' });
}
