import argon2 from 'argon2';

export const MIN_PASSWORD_LENGTH = 10;
/** Longer input is refused before hashing: nobody types more, and it bounds the work per request. */
export const MAX_PASSWORD_LENGTH = 256;

/** Why a new password is not acceptable, or undefined when it is. */
export function passwordProblem(password: string, username?: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.trim() !== password) return 'must not start or end with spaces';
  if (username && password.toLowerCase().includes(username.toLowerCase())) return 'must not contain the username';
  if (new Set(password).size < 4) return 'must not be made of so few different characters';
  return undefined;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the hash was made with older (weaker) parameters and should be redone at the next login. */
  needsRehash(hash: string): boolean;
}

export interface Argon2Options {
  /** KiB. @defaultValue 19456 (19 MiB, the OWASP minimum for argon2id) */
  memoryCost?: number;
  /** @defaultValue 2 */
  timeCost?: number;
  /** @defaultValue 1 */
  parallelism?: number;
}

/** argon2id: memory-hard, so GPU guessing of a stolen hash is expensive. */
export class Argon2Hasher implements PasswordHasher {
  private readonly options: Required<Argon2Options>;
  /** A hash of nothing, verified when the username is unknown so both cases take the same time. */
  private dummy?: Promise<string>;

  constructor(options: Argon2Options = {}) {
    this.options = { memoryCost: options.memoryCost ?? 19_456, timeCost: options.timeCost ?? 2, parallelism: options.parallelism ?? 1 };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.options });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      // A malformed stored hash is a failed login, not a server error.
      return false;
    }
  }

  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.options);
    } catch {
      return true;
    }
  }

  /** Spend a verification's time without a real account (see `dummy`). */
  async burn(password: string): Promise<void> {
    this.dummy ??= this.hash('no account has this password');
    await this.verify(await this.dummy, password);
  }
}
