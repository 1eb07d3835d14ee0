import type { AppConfig } from '../config/schema';
import { ConfigError } from '../core/errors';
import type { Role } from '../ports/account-store';
import type { AccountService } from './account-service';

/** The one password that is ever set by the software itself, and only in demo mode. */
export const DEMO_PASSWORD = 'demo112-siaga';

export interface DemoAccount {
  username: string;
  displayName: string;
  role: Role;
  endpoint?: string;
  password: string;
  /** False when the account was already there (its password may have been changed since). */
  created: boolean;
}

const DEMO: ReadonlyArray<Omit<DemoAccount, 'password' | 'created'>> = [
  { username: 'op1', displayName: 'Operator 1 (demo)', role: 'operator', endpoint: 'PJSIP/op1' },
  { username: 'op2', displayName: 'Operator 2 (demo)', role: 'operator', endpoint: 'PJSIP/op2' },
  { username: 'op3', displayName: 'Operator 3 (demo)', role: 'operator', endpoint: 'PJSIP/op3' },
  { username: 'supervisor', displayName: 'Supervisor (demo)', role: 'supervisor' },
  { username: 'admin', displayName: 'Admin (demo)', role: 'admin' },
];

/**
 * Create the demo's operators (softphones PJSIP/op1..3, the simulator's),
 * a supervisor and an admin, all with DEMO_PASSWORD. Refuses outside demo
 * mode so no installation ever gets a known password. Existing accounts are
 * left as they are. Returns the list for printing the login hints.
 */
export async function ensureDemoAccounts(accounts: AccountService, options: { mode: AppConfig['mode'] }): Promise<DemoAccount[]> {
  if (options.mode !== 'demo') {
    throw new ConfigError(`Demo accounts with a known password are only made in demo mode (mode is ${options.mode}); use npm run admin:create`);
  }
  const result: DemoAccount[] = [];
  for (const demo of DEMO) {
    const exists = await accounts.get(demo.username);
    if (!exists) await accounts.create({ ...demo, password: DEMO_PASSWORD });
    result.push({ ...demo, password: DEMO_PASSWORD, created: !exists });
  }
  return result;
}

/** Lines to print at demo start-up. */
export function describeDemoAccounts(list: ReadonlyArray<DemoAccount>, consoleUrl: string): string {
  const rows = list.map((a) => `  ${a.username.padEnd(11)} ${a.role.padEnd(10)} ${a.endpoint ?? ''}`.trimEnd());
  return [`Demo accounts (password "${DEMO_PASSWORD}") — log in at ${consoleUrl}:`, ...rows].join('\n');
}
