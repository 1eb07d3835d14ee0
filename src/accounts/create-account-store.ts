import { systemClock, type Clock } from '../core/clock';
import type { AppConfig } from '../config/schema';
import type { AccountStore } from '../ports/account-store';
import { PostgresAccountStore } from './postgres-account-store';
import { SqliteAccountStore } from './sqlite-account-store';

/**
 * The account store the configuration asks for: PostgreSQL when
 * store.databaseUrl is set, else the SQLite file of the call store.
 */
export async function createAccountStore(store: AppConfig['store'], clock: Clock = systemClock): Promise<AccountStore> {
  if (store.databaseUrl) return PostgresAccountStore.open(store.databaseUrl, clock);
  return SqliteAccountStore.open(store.sqlitePath, clock);
}
