/**
 * Console accounts (operators, supervisors, admins) and where they are kept.
 * The store only persists; rules (password strength, hashing, "operators
 * need an endpoint", "keep one admin") live in src/accounts/account-service.ts.
 */

export const ROLES = ['operator', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** An account as the API shows it: never the password hash. */
export interface Account {
  /**
   * Equal to the username. Operator accounts' ids are the operator ids used
   * in call records and dispatch (`op1`), so they never change.
   */
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** Softphone address (`PJSIP/op1`, `client:op1`, `sip:op1@pbx`); required for operators. */
  endpoint?: string;
  disabled: boolean;
  /** Epoch ms from the injected clock. */
  createdAt: number;
  updatedAt: number;
  passwordChangedAt: number;
}

/** An account with its password hash (argon2id PHC string), for login only. */
export interface StoredAccount extends Account {
  passwordHash: string;
}

export type NewAccount = Omit<StoredAccount, 'id' | 'updatedAt' | 'passwordChangedAt'>;

export interface AccountPatch {
  displayName?: string;
  role?: Role;
  /** `null` removes the endpoint. */
  endpoint?: string | null;
  disabled?: boolean;
  passwordHash?: string;
  /** Epoch ms of the change (also sets passwordChangedAt when passwordHash is given). */
  at: number;
}

/**
 * Durable accounts. Implementations keep their own migrations table
 * (`accounts_migrations`) so they can share a database with the call store.
 */
export interface AccountStore {
  /** Throws ConflictError (code `account_exists`) when the username is taken. */
  create(account: NewAccount): Promise<StoredAccount>;
  get(id: string): Promise<StoredAccount | undefined>;
  /** Usernames are stored lowercase; the lookup is exact on the lowercase name. */
  findByUsername(username: string): Promise<StoredAccount | undefined>;
  /** Ordered by username. */
  list(): Promise<Account[]>;
  /** Throws NotFoundError for an unknown id. */
  update(id: string, patch: AccountPatch): Promise<StoredAccount>;
  /** Number of enabled accounts with this role. */
  countEnabled(role: Role): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
