import type { AccountPatch, Role, StoredAccount } from '../ports/account-store';

/** One row of the `accounts` table, as both SQL stores read it. */
export interface AccountRow {
  username: string;
  display_name: string;
  role: string;
  endpoint: string | null;
  disabled: boolean | number;
  password_hash: string;
  created_at: number | string;
  updated_at: number | string;
  password_changed_at: number | string;
}

/** Row to account; PostgreSQL returns bigint as string and SQLite booleans as 0/1. */
export function accountFromRow(row: AccountRow): StoredAccount {
  const account: StoredAccount = {
    id: row.username,
    username: row.username,
    displayName: row.display_name,
    role: row.role as Role,
    disabled: row.disabled === true || row.disabled === 1,
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    passwordChangedAt: Number(row.password_changed_at),
  };
  if (row.endpoint !== null) account.endpoint = row.endpoint;
  return account;
}

/** The columns a patch changes, by column name (only the fields it sets). */
export function patchColumns(patch: AccountPatch): Record<string, string | boolean | null> {
  const columns: Record<string, string | boolean | null> = {};
  if (patch.displayName !== undefined) columns.display_name = patch.displayName;
  if (patch.role !== undefined) columns.role = patch.role;
  if (patch.endpoint !== undefined) columns.endpoint = patch.endpoint;
  if (patch.disabled !== undefined) columns.disabled = patch.disabled;
  if (patch.passwordHash !== undefined) columns.password_hash = patch.passwordHash;
  return columns;
}
