import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock';
import { migrateSqliteSideTables, openDurableSqlite } from '../store/side-tables';
import { ConflictError, NotFoundError } from '../core/errors';
import type { Account, AccountPatch, AccountStore, NewAccount, Role, StoredAccount } from '../ports/account-store';
import { accountFromRow, patchColumns, type AccountRow } from './account-row';

/** Schema steps; each runs once, recorded in accounts_migrations (not the call store's table). */
const MIGRATIONS: ReadonlyArray<string> = [
  `create table accounts (
     username text primary key,
     display_name text not null,
     role text not null check (role in ('operator', 'supervisor', 'admin')),
     endpoint text,
     disabled integer not null default 0,
     password_hash text not null,
     created_at integer not null,
     updated_at integer not null,
     password_changed_at integer not null
   )`,
];

/**
 * Accounts in SQLite. It may share the call store's file: it opens its own
 * connection (WAL allows that) and only touches `accounts*` tables.
 */
export class SqliteAccountStore implements AccountStore {
  private constructor(private readonly db: Database.Database) {}

  /** Open (creating the directory and file if needed) and migrate. */
  static open(file: string, clock: Clock = systemClock): SqliteAccountStore {
    const db = openDurableSqlite(file);
    migrateSqliteSideTables(db, { table: 'accounts_migrations', sql: MIGRATIONS }, clock.now());
    return new SqliteAccountStore(db);
  }

  async create(account: NewAccount): Promise<StoredAccount> {
    const username = account.username.toLowerCase();
    try {
      this.db
        .prepare(
          `insert into accounts (username, display_name, role, endpoint, disabled, password_hash, created_at, updated_at, password_changed_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(username, account.displayName, account.role, account.endpoint ?? null, account.disabled ? 1 : 0, account.passwordHash, account.createdAt, account.createdAt, account.createdAt);
    } catch (err) {
      if (err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new ConflictError(`The username ${username} is taken`, { username }, 'account_exists');
      }
      throw err;
    }
    return (await this.get(username)) as StoredAccount;
  }

  async get(id: string): Promise<StoredAccount | undefined> {
    const row = this.db.prepare('select * from accounts where username = ?').get(id) as AccountRow | undefined;
    return row ? accountFromRow(row) : undefined;
  }

  findByUsername(username: string): Promise<StoredAccount | undefined> {
    return this.get(username.toLowerCase());
  }

  async list(): Promise<Account[]> {
    const rows = this.db.prepare('select * from accounts order by username').all() as AccountRow[];
    return rows.map((row) => {
      const { passwordHash: _hash, ...account } = accountFromRow(row);
      return account;
    });
  }

  async update(id: string, patch: AccountPatch): Promise<StoredAccount> {
    const columns = patchColumns(patch);
    const sets = ['updated_at = @at', ...Object.keys(columns).map((c) => `${c} = @${c}`)];
    if (patch.passwordHash !== undefined) sets.push('password_changed_at = @at');
    const params: Record<string, unknown> = { ...columns, id, at: patch.at };
    if (params.disabled !== undefined) params.disabled = params.disabled ? 1 : 0;
    const result = this.db.prepare(`update accounts set ${sets.join(', ')} where username = @id`).run(params);
    if (result.changes === 0) throw new NotFoundError('Account', id);
    return (await this.get(id)) as StoredAccount;
  }

  async countEnabled(role: Role): Promise<number> {
    const row = this.db.prepare('select count(*) as n from accounts where role = ? and disabled = 0').get(role) as { n: number };
    return row.n;
  }

  async ping(): Promise<void> {
    this.db.prepare('select 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
