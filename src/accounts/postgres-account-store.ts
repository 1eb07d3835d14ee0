import pg from 'pg';
import { systemClock, type Clock } from '../core/clock';
import { migratePostgresSideTables } from '../store/side-tables';
import { ConflictError, NotFoundError, UnavailableError } from '../core/errors';
import type { Account, AccountPatch, AccountStore, NewAccount, Role, StoredAccount } from '../ports/account-store';
import { accountFromRow, patchColumns, type AccountRow } from './account-row';

const MIGRATIONS: ReadonlyArray<string> = [
  `create table accounts (
     username text primary key,
     display_name text not null,
     role text not null check (role in ('operator', 'supervisor', 'admin')),
     endpoint text,
     disabled boolean not null default false,
     password_hash text not null,
     created_at bigint not null,
     updated_at bigint not null,
     password_changed_at bigint not null
   )`,
];

/** Any fixed number: the advisory lock that serialises account migrations across instances. */
const MIGRATION_LOCK = 112_0007;

/**
 * Accounts in PostgreSQL. It may share the call store's database: its own
 * migrations table (`accounts_migrations`) and only `accounts*` tables.
 */
export class PostgresAccountStore implements AccountStore {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string, clock: Clock = systemClock): Promise<PostgresAccountStore> {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const store = new PostgresAccountStore(pool);
    try {
      await migratePostgresSideTables(pool, { table: 'accounts_migrations', sql: MIGRATIONS, lock: MIGRATION_LOCK }, clock.now());
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new UnavailableError('postgres', `Cannot prepare the accounts tables: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  async create(account: NewAccount): Promise<StoredAccount> {
    const username = account.username.toLowerCase();
    try {
      const { rows } = await this.pool.query<AccountRow>(
        `insert into accounts (username, display_name, role, endpoint, disabled, password_hash, created_at, updated_at, password_changed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $7, $7) returning *`,
        [username, account.displayName, account.role, account.endpoint ?? null, account.disabled, account.passwordHash, account.createdAt],
      );
      return accountFromRow(rows[0] as AccountRow);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(`The username ${username} is taken`, { username }, 'account_exists');
      }
      throw err;
    }
  }

  async get(id: string): Promise<StoredAccount | undefined> {
    const { rows } = await this.pool.query<AccountRow>('select * from accounts where username = $1', [id]);
    return rows[0] ? accountFromRow(rows[0]) : undefined;
  }

  findByUsername(username: string): Promise<StoredAccount | undefined> {
    return this.get(username.toLowerCase());
  }

  async list(): Promise<Account[]> {
    const { rows } = await this.pool.query<AccountRow>('select * from accounts order by username');
    return rows.map((row) => {
      const { passwordHash: _hash, ...account } = accountFromRow(row);
      return account;
    });
  }

  async update(id: string, patch: AccountPatch): Promise<StoredAccount> {
    const columns = patchColumns(patch);
    const values: unknown[] = [id, patch.at];
    const sets = ['updated_at = $2'];
    for (const [column, value] of Object.entries(columns)) {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    }
    if (patch.passwordHash !== undefined) sets.push('password_changed_at = $2');
    const { rows } = await this.pool.query<AccountRow>(`update accounts set ${sets.join(', ')} where username = $1 returning *`, values);
    if (!rows[0]) throw new NotFoundError('Account', id);
    return accountFromRow(rows[0]);
  }

  async countEnabled(role: Role): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('select count(*)::int as n from accounts where role = $1 and not disabled', [role]);
    return rows[0]?.n ?? 0;
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
