import type { Clock } from '../core/clock';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors';
import type { Account, AccountPatch, AccountStore, Role, StoredAccount } from '../ports/account-store';
import type { CreateAccountInput, UpdateAccountInput } from './account-schemas';
import { passwordProblem, type Argon2Hasher } from './password';

/** Why a login did not produce an account. */
export type LoginFailure = 'bad_credentials' | 'disabled';

export type LoginResult = { ok: true; account: Account } | { ok: false; reason: LoginFailure };

/** Strip the hash before an account leaves this module. */
export function publicAccount(account: StoredAccount | Account): Account {
  const { passwordHash: _hash, ...rest } = account as StoredAccount;
  return rest;
}

/**
 * The rules around accounts, shared by the HTTP routes, the create-admin
 * command and the demo: password strength, hashing, "an operator has a
 * softphone endpoint", and "there is always an enabled admin".
 */
export class AccountService {
  constructor(
    readonly store: AccountStore,
    private readonly hasher: Argon2Hasher,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateAccountInput): Promise<Account> {
    this.checkEndpoint(input.role, input.endpoint);
    this.checkPassword(input.password, input.username);
    if (await this.store.findByUsername(input.username)) {
      throw new ConflictError(`The username ${input.username} is taken`, { username: input.username }, 'account_exists');
    }
    const created = await this.store.create({
      username: input.username,
      displayName: input.displayName,
      role: input.role,
      endpoint: input.endpoint,
      disabled: false,
      passwordHash: await this.hasher.hash(input.password),
      createdAt: this.clock.now(),
    });
    return publicAccount(created);
  }

  async update(id: string, input: UpdateAccountInput): Promise<Account> {
    const current = await this.store.get(id);
    if (!current) throw new NotFoundError('Account', id);
    const role = input.role ?? current.role;
    const endpoint = input.endpoint === undefined ? current.endpoint : (input.endpoint ?? undefined);
    this.checkEndpoint(role, endpoint);
    if (input.password !== undefined) this.checkPassword(input.password, current.username);
    const losesAdmin = current.role === 'admin' && !current.disabled && (role !== 'admin' || input.disabled === true);
    if (losesAdmin && (await this.store.countEnabled('admin')) <= 1) {
      throw new ConflictError('This is the last enabled admin account: create another admin first', { id }, 'last_admin');
    }
    const patch: AccountPatch = { at: this.clock.now() };
    if (input.displayName !== undefined) patch.displayName = input.displayName;
    if (input.role !== undefined) patch.role = input.role;
    if (input.endpoint !== undefined) patch.endpoint = input.endpoint;
    if (input.disabled !== undefined) patch.disabled = input.disabled;
    if (input.password !== undefined) patch.passwordHash = await this.hasher.hash(input.password);
    return publicAccount(await this.store.update(id, patch));
  }

  async get(id: string): Promise<Account | undefined> {
    const account = await this.store.get(id);
    return account && publicAccount(account);
  }

  list(): Promise<Account[]> {
    return this.store.list();
  }

  /**
   * Check a username and password. Unknown users cost the same time as
   * known ones, so timing does not tell which usernames exist. A disabled
   * account is reported only to someone who knows its password.
   */
  async login(username: string, password: string): Promise<LoginResult> {
    const account = await this.store.findByUsername(username);
    if (!account) {
      await this.hasher.burn(password);
      return { ok: false, reason: 'bad_credentials' };
    }
    if (!(await this.hasher.verify(account.passwordHash, password))) return { ok: false, reason: 'bad_credentials' };
    if (account.disabled) return { ok: false, reason: 'disabled' };
    if (this.hasher.needsRehash(account.passwordHash)) {
      await this.store.update(account.id, { passwordHash: await this.hasher.hash(password), at: this.clock.now() });
    }
    return { ok: true, account: publicAccount(account) };
  }

  private checkEndpoint(role: Role, endpoint: string | undefined): void {
    if (role === 'operator' && !endpoint) {
      throw new ValidationError('An operator account needs a softphone endpoint such as PJSIP/op1', [
        { field: 'endpoint', message: 'required for operators: PJSIP/<name>, client:<identity> or sip:<address>' },
      ]);
    }
  }

  private checkPassword(password: string, username: string): void {
    const problem = passwordProblem(password, username);
    if (problem) throw new ValidationError(`The password ${problem}`, [{ field: 'password', message: problem }]);
  }
}
